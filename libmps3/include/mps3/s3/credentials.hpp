// AWS credentials, found the way every AWS tool finds them.
#pragma once

#include <mps3/result.hpp>

#include <map>
#include <string>

namespace mps3::s3 {

struct credentials {
    std::string access_key_id;
    std::string secret_access_key;  // never logged, never part of an error message
    std::string session_token;      // empty unless temporary credentials
};

/// Where to look, in order of precedence. Empty fields mean "use the AWS default".
struct credential_options {
    std::string profile;           // default: $AWS_PROFILE, else "default"
    std::string credentials_file;  // default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
};

/// An environment lookup, injectable so tests do not touch the process environment.
using environment = std::map<std::string, std::string>;
environment process_environment();

/// Resolution order: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) from env,
/// then the profile in the shared credentials file. errc::no_credentials names what was tried.
result<credentials> load_credentials(const credential_options& options, const environment& env);

/// Parses the INI text of a shared credentials file and returns one profile's credentials.
/// Accepts "[name]" and "[profile name]" headers, '#'/';' comments, spaces around '='.
result<credentials> parse_credentials_file(std::string_view text, std::string_view profile);

}  // namespace mps3::s3
