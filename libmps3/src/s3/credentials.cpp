// Credentials from the environment, the shared credentials file, a credential_process or the
// config file, as the AWS CLI finds them. Every message names what was tried (variables,
// profile, file paths) and never a secret value.
#include <mps3/s3/aws_config.hpp>
#include <mps3/s3/credential_process.hpp>
#include <mps3/s3/credentials.hpp>

#include "s3/aws_files.hpp"

#include <unistd.h>  // environ

#include <string_view>

namespace mps3::s3 {
namespace {

using detail::lookup;

/// A profile's static keys, or why there are none (errc::no_credentials, naming the profile).
result<credentials> static_keys(const aws_profile& profile, std::string_view name) {
    const std::string quoted = "profile '" + std::string(name) + "'";
    if (!profile.found) {
        return {errc::no_credentials, quoted + " not found"};
    }
    credentials found;
    found.access_key_id = profile.value("aws_access_key_id");
    found.secret_access_key = profile.value("aws_secret_access_key");
    found.session_token = profile.value("aws_session_token");
    const bool has_key_id = !found.access_key_id.empty();
    const bool has_secret = !found.secret_access_key.empty();
    if (!has_key_id && !has_secret) {
        return {errc::no_credentials,
                quoted +
                    " has no aws_access_key_id and no aws_secret_access_key (role_arn and sso "
                    "profiles are not supported)"};
    }
    if (!has_key_id) {
        return {errc::no_credentials, quoted + " has no aws_access_key_id"};
    }
    if (!has_secret) {
        return {errc::no_credentials, quoted + " has no aws_secret_access_key"};
    }
    return found;
}

}  // namespace

environment process_environment() {
    environment env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view item(*entry);
        const auto eq = item.find('=');
        if (eq != std::string_view::npos && eq > 0) {
            env.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
        }
    }
    return env;
}

std::string profile_name(std::string_view configured, const environment& env) {
    std::string profile(configured);
    if (profile.empty()) {
        profile = lookup(env, "AWS_PROFILE");
    }
    if (profile.empty()) {
        profile = "default";
    }
    return profile;
}

result<credentials> parse_credentials_file(std::string_view text, std::string_view profile) {
    if (profile.empty()) {
        profile = "default";
    }
    return static_keys(parse_aws_profile(text, profile, aws_file::credentials), profile);
}

result<credentials> load_credentials(const credential_options& options, const environment& env) {
    const std::string_view env_key_id = lookup(env, "AWS_ACCESS_KEY_ID");
    const std::string_view env_secret = lookup(env, "AWS_SECRET_ACCESS_KEY");
    if (!env_key_id.empty() && !env_secret.empty()) {
        return credentials{std::string(env_key_id), std::string(env_secret),
                           std::string(lookup(env, "AWS_SESSION_TOKEN")), std::nullopt};
    }
    // Half a pair is a mistake worth stopping for, not a reason to pick up other credentials.
    if (!env_key_id.empty()) {
        return {errc::no_credentials, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"};
    }
    if (!env_secret.empty()) {
        return {errc::no_credentials, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"};
    }

    const std::string profile = profile_name(options.profile, env);
    const std::string tried = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and ";

    // 2. The credentials file.
    const std::string path = detail::aws_file_path(
        options.credentials_file, env, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    std::string credentials_problem;
    aws_profile from_credentials;
    if (path.empty()) {
        credentials_problem = "HOME is not set to find ~/.aws/credentials (profile '" + profile +
                              "'; set AWS_SHARED_CREDENTIALS_FILE)";
    } else if (const auto file = detail::read_file(path); !file.failure.empty()) {
        credentials_problem =
            "cannot read " + path + " (profile '" + profile + "'): " + file.failure;
        if (!file.missing) {
            return {errc::no_credentials, tried + credentials_problem};
        }
    } else {
        from_credentials = parse_aws_profile(file.text, profile, aws_file::credentials);
        auto keys = static_keys(from_credentials, profile);
        if (keys) {
            return keys;
        }
        credentials_problem = keys.err().message + " in " + path;
    }

    // 3. and 4. The config file.
    auto config = load_aws_config(profile, env, options.config_file);
    if (!config) {
        return {errc::no_credentials, tried + credentials_problem + "; " + config.err().message};
    }
    std::string process = from_credentials.value("credential_process");
    std::string process_origin = "profile '" + profile + "' of " + path;
    if (process.empty()) {
        process = config->settings.value("credential_process");
        process_origin = config->origin();
    }
    if (!process.empty()) {
        auto ran = run_credential_process(process, options.process_timeout);
        if (!ran) {
            ran.err().message += " (" + process_origin + ")";
        }
        return ran;
    }
    if (config->settings.found) {
        if (auto keys = static_keys(config->settings, profile); keys) {
            return keys;
        }
    }
    const std::string config_part =
        config->path.empty()
            ? std::string()
            : (config->settings.found ? "; profile '" + profile + "' of " + config->path +
                                            " has no credentials or credential_process"
                                      : "; no profile '" + profile + "' in " + config->path);
    return {errc::no_credentials, tried + credentials_problem + config_part};
}

}  // namespace mps3::s3
