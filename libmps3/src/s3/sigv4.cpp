#include "s3/sigv4.hpp"

#include "s3/crypto.hpp"
#include "s3/uri_encode.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace mps3::s3::detail {
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view terminator = "aws4_request";

using field_list = std::vector<std::pair<std::string, std::string>>;

char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), to_lower);
    return out;
}

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_lower(x) == to_lower(y);
           });
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// SigV4 "Trimall": no leading or trailing whitespace, each inner run becomes one space.
std::string trim_all(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    bool pending_space = false;
    for (const char c : value) {
        if (is_space(c)) {
            pending_space = !out.empty();
        } else {
            if (pending_space) {
                out.push_back(' ');
                pending_space = false;
            }
            out.push_back(c);
        }
    }
    return out;
}

// Lower-cased names in byte order with their canonical values; a name given several times
// keeps its values in the order given, joined with ',' (stable sort).
field_list canonical_headers(const field_list& headers) {
    field_list sorted;
    sorted.reserve(headers.size());
    for (const auto& [name, value] : headers) {
        sorted.emplace_back(lower(name), trim_all(value));
    }
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    field_list merged;
    for (auto& [name, value] : sorted) {
        if (!merged.empty() && merged.back().first == name) {
            merged.back().second += ',';
            merged.back().second += value;
        } else {
            merged.emplace_back(std::move(name), std::move(value));
        }
    }
    return merged;
}

std::string signed_headers(const field_list& canonical) {
    std::string out;
    for (const auto& [name, value] : canonical) {
        if (!out.empty()) {
            out.push_back(';');
        }
        out += name;
    }
    return out;
}

std::string credential_scope(std::string_view amz_date, const signing_scope& scope) {
    std::string out(amz_date.substr(0, 8));
    out += '/';
    out += scope.region;
    out += '/';
    out += scope.service;
    out += '/';
    out += terminator;
    return out;
}

void set_header(field_list& headers, std::string_view name, std::string value) {
    std::erase_if(headers, [&](const auto& h) { return same_name(h.first, name); });
    headers.emplace_back(std::string(name), std::move(value));
}

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss<seconds> hms{secs - day};
    std::array<char, 32> buffer{};
    const int n = std::snprintf(
        buffer.data(), buffer.size(), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
        static_cast<int>(hms.seconds().count()));
    return {buffer.data(), static_cast<std::size_t>(n > 0 ? n : 0)};
}

std::string canonical_request(const signing_request& req) {
    const field_list headers = canonical_headers(req.headers);
    std::string out = req.method;
    out += '\n';
    out += req.canonical_uri.empty() ? std::string("/") : req.canonical_uri;
    out += '\n';
    out += canonical_query(req.query);
    out += '\n';
    for (const auto& [name, value] : headers) {
        out += name;
        out += ':';
        out += value;
        out += '\n';
    }
    out += '\n';
    out += signed_headers(headers);
    out += '\n';
    out += req.payload_hash;
    return out;
}

std::string string_to_sign(const signing_request& req, std::string_view amz_date,
                           const signing_scope& scope) {
    std::string out(algorithm);
    out += '\n';
    out += amz_date;
    out += '\n';
    out += credential_scope(amz_date, scope);
    out += '\n';
    out += sha256_hex(canonical_request(req));
    return out;
}

std::string signing_key(std::string_view secret, std::string_view yyyymmdd,
                        const signing_scope& scope) {
    std::string k_secret = "AWS4";
    k_secret += secret;
    std::string k_date = hmac_sha256(k_secret, yyyymmdd);
    std::string k_region = hmac_sha256(k_date, scope.region);
    std::string k_service = hmac_sha256(k_region, scope.service);
    std::string k_signing = hmac_sha256(k_service, terminator);
    // Intermediate keys are as good as the secret for this day: do not leave them in freed heap.
    for (std::string* s : {&k_secret, &k_date, &k_region, &k_service}) {
        OPENSSL_cleanse(s->data(), s->size());
    }
    return k_signing;
}

std::string authorization_header(const signing_request& req, std::string_view amz_date,
                                 const signing_scope& scope, const mps3::s3::credentials& creds) {
    std::string key = signing_key(creds.secret_access_key, amz_date.substr(0, 8), scope);
    const std::string signature = hex(hmac_sha256(key, string_to_sign(req, amz_date, scope)));
    OPENSSL_cleanse(key.data(), key.size());

    std::string out(algorithm);
    out += " Credential=";
    out += creds.access_key_id;
    out += '/';
    out += credential_scope(amz_date, scope);
    out += ", SignedHeaders=";
    out += signed_headers(canonical_headers(req.headers));
    out += ", Signature=";
    out += signature;
    return out;
}

std::string sign(signing_request& req, std::chrono::system_clock::time_point now,
                 const signing_scope& scope, const mps3::s3::credentials& creds) {
    const std::string date = amz_date(now);
    set_header(req.headers, "x-amz-date", date);
    set_header(req.headers, "x-amz-content-sha256", req.payload_hash);
    if (!creds.session_token.empty()) {
        set_header(req.headers, "x-amz-security-token", creds.session_token);
    }
    return authorization_header(req, date, scope, creds);
}

}  // namespace mps3::s3::detail
