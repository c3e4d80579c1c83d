// Percent-encoding as SigV4 defines it, which is also what goes on the wire: the signer and the
// HTTP layer must produce byte-identical paths and query strings or S3 answers
// SignatureDoesNotMatch. Keys are arbitrary UTF-8 (spaces, '+', '%', XML-hostile characters).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mps3::s3::detail {

/// Keeps the unreserved characters A-Z a-z 0-9 - . _ ~ and writes every other byte as %XX with
/// upper-case hex (so a space is %20, never '+'). '/' is kept unless encode_slash is true.
std::string uri_encode(std::string_view s, bool encode_slash);

/// Path-style request path of an object: "/" + bucket + "/" + key, the key encoded with its '/'
/// kept, as the AWS SDKs send it (S3 compares the path as sent, without normalising it).
std::string object_path(std::string_view bucket, std::string_view key);

/// The SigV4 canonical query string, also sent verbatim after '?': names and values encoded
/// (including '/'), sorted by encoded name then encoded value, joined as "a=b&c=". A parameter
/// with an empty value is written "name=". Empty for no parameters.
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace mps3::s3::detail
