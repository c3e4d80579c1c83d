// AWS credentials, found the way every AWS tool finds them.
#pragma once

#include <mps3/result.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::s3 {

struct credentials {
    std::string access_key_id;
    std::string secret_access_key;  // never logged, never part of an error message
    std::string session_token;      // empty unless temporary credentials
    /// When temporary credentials stop working (credential_process's Expiration); nullopt:
    /// they do not expire by themselves.
    std::optional<std::chrono::system_clock::time_point> expiration;
};

/// Where to look, in order of precedence. Empty fields mean "use the AWS default".
struct credential_options {
    std::string profile;           // default: $AWS_PROFILE, else "default"
    std::string credentials_file;  // default: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
    std::string config_file;       // default: $AWS_CONFIG_FILE, else ~/.aws/config
    /// How long a credential_process may run before it is killed and the load fails.
    std::chrono::milliseconds process_timeout{std::chrono::seconds(60)};
};

/// An environment lookup, injectable so tests do not touch the process environment.
using environment = std::map<std::string, std::string>;
environment process_environment();

/// The profile to use: `configured`, else $AWS_PROFILE, else "default".
std::string profile_name(std::string_view configured, const environment& env);

/// Resolution order, botocore's credential chain as far as MPS3 follows it:
///   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) from the environment;
///   2. aws_access_key_id + aws_secret_access_key of the profile in the credentials file;
///   3. the profile's credential_process (credentials file, else config file), run now: this
///      blocks the caller for as long as the process runs (bounded by process_timeout);
///   4. aws_access_key_id + aws_secret_access_key of the profile in the config file.
/// errc::no_credentials names what was tried, never a secret.
result<credentials> load_credentials(const credential_options& options, const environment& env);

/// Parses the INI text of a shared credentials file and returns one profile's credentials.
/// Accepts "[name]" and "[profile name]" headers, '#'/';' comments, spaces around '='.
result<credentials> parse_credentials_file(std::string_view text, std::string_view profile);

}  // namespace mps3::s3
