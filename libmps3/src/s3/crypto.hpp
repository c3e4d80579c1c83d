// The few cryptographic primitives the S3 client needs (SigV4, x-amz-checksum-sha256), as
// strings in and strings out so callers never touch OpenSSL. Digests and MACs are raw bytes in a
// std::string unless the name says hex or base64.
#pragma once

#include <string>
#include <string_view>

namespace mps3::s3::detail {

/// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);

/// Lower-case hex SHA-256, as SigV4 wants for payload and canonical-request hashes.
std::string sha256_hex(std::string_view data);

/// Base64 SHA-256, the value of x-amz-checksum-sha256.
std::string sha256_base64(std::string_view data);

/// Raw 32-byte HMAC-SHA256 of data under key.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Lower-case hex of arbitrary bytes.
std::string hex(std::string_view bytes);

/// Standard base64 (RFC 4648 section 4, with padding, no line breaks).
std::string base64(std::string_view bytes);

}  // namespace mps3::s3::detail
