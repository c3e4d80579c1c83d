// The AWS shared credentials file, as a person or a tool may have written it. The input's first
// line is the profile asked for, the rest the file.
//
// Invariants: found credentials have a key id and a secret, each one line without surrounding
// whitespace (what a signer can use); written back as a plain file they read back the same, and
// without the secret they are refused; every refusal is no_credentials.
#include "fuzz_check.hpp"

#include <mps3/text.hpp>

#include <mps3/s3/credentials.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace mps3::s3;

void check_value(std::string_view v) {
    FUZZ_CHECK(v.find('\n') == std::string_view::npos);
    FUZZ_CHECK(mps3::trim(v) == v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view file = mps3::fuzz::as_text(data, size);
    const std::string_view profile = mps3::fuzz::take_line(file);

    const auto found = parse_credentials_file(file, profile);
    if (!found) {
        FUZZ_CHECK(found.err().code == mps3::errc::no_credentials);
        return 0;
    }
    FUZZ_CHECK(!found->access_key_id.empty() && !found->secret_access_key.empty());
    check_value(found->access_key_id);
    check_value(found->secret_access_key);
    check_value(found->session_token);

    // Names the header syntax can carry as they are: trimmed, and not read as "profile NAME".
    const std::string_view name = profile.empty() ? "default" : profile;
    if (mps3::trim(name) != name || name.starts_with("profile")) {
        return 0;
    }
    std::string written = "[" + std::string(name) +
                          "]\naws_access_key_id = " + found->access_key_id +
                          "\naws_secret_access_key = " + found->secret_access_key + "\n";
    if (!found->session_token.empty()) {
        written += "aws_session_token = " + found->session_token + "\n";
    }
    const auto again = parse_credentials_file(written, profile);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->access_key_id == found->access_key_id);
    FUZZ_CHECK(again->secret_access_key == found->secret_access_key);
    FUZZ_CHECK(again->session_token == found->session_token);

    // The same file without the secret: refused, never credentials with an empty secret.
    const std::string without =
        "[" + std::string(name) + "]\naws_access_key_id = " + found->access_key_id + "\n";
    const auto refused = parse_credentials_file(without, profile);
    FUZZ_CHECK(!refused && refused.err().code == mps3::errc::no_credentials);
    return 0;
}
