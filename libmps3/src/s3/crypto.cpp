#include "s3/crypto.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <stdexcept>

namespace mps3::s3::detail {
namespace {

// OpenSSL only fails here when it cannot allocate or the provider is missing: nothing a caller
// can handle, and silently returning a wrong digest would produce a signature S3 rejects later
// with a far more confusing message.
[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("OpenSSL failed to compute ") + what);
}

const unsigned char* bytes_of(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string sha256(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        fail("SHA-256");
    }
    return {reinterpret_cast<const char*>(digest.data()), length};
}

std::string sha256_hex(std::string_view data) {
    return hex(sha256(data));
}

std::string sha256_base64(std::string_view data) {
    return base64(sha256(data));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t length = 0;
    // A non-null key pointer even for an empty key: OpenSSL treats a null key as "no key set".
    static constexpr unsigned char empty_key = 0;
    const unsigned char* key_bytes = key.empty() ? &empty_key : bytes_of(key);
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_bytes, key.size(),
                  bytes_of(data), data.size(), mac.data(), mac.size(), &length) == nullptr) {
        fail("HMAC-SHA256");
    }
    return {reinterpret_cast<const char*>(mac.data()), length};
}

std::string hex(std::string_view bytes) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(digits[b >> 4U]);
        out.push_back(digits[b & 0x0FU]);
    }
    return out;
}

std::string base64(std::string_view bytes) {
    // EVP_EncodeBlock takes an int length: encode in chunks that are a multiple of 3 bytes so
    // no padding appears mid-stream and any size works.
    constexpr std::size_t chunk = 3 * 1024;
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::array<unsigned char, chunk / 3 * 4 + 1> buffer{};
    while (!bytes.empty()) {
        const std::string_view part = bytes.substr(0, chunk);
        const int written =
            EVP_EncodeBlock(buffer.data(), bytes_of(part), static_cast<int>(part.size()));
        out.append(reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(written));
        bytes.remove_prefix(part.size());
    }
    return out;
}

}  // namespace mps3::s3::detail
