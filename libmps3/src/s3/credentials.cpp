// Credentials from the environment or the shared credentials file, as the AWS CLI finds them.
// Every message names what was tried (variables, profile, file path) and never a secret value.
#include <mps3/s3/credentials.hpp>

#include "s3/text.hpp"

#include <unistd.h>  // environ

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

namespace mps3::s3 {
namespace {

using detail::ascii_lower;
using detail::trim;

constexpr std::string_view whitespace = " \t\r\n\v\f";
// A credentials file is a few hundred bytes; the bound keeps a path such as /dev/zero from
// hanging the daemon at startup.
constexpr std::size_t max_file_size = 1024 * 1024;

/// An environment variable, with "set but empty" treated as unset (as the AWS CLI does).
std::string_view lookup(const environment& env, const std::string& name) {
    const auto it = env.find(name);
    return it == env.end() ? std::string_view{} : std::string_view{it->second};
}

/// The profile name of a section header line ("[dev]", "[profile dev]"), or nullopt when the
/// line is not a well-formed header.
std::optional<std::string_view> section_name(std::string_view line) {
    if (line.size() < 2 || line.front() != '[' || line.back() != ']') {
        return std::nullopt;
    }
    std::string_view name = trim(line.substr(1, line.size() - 2));
    // ~/.aws/config spells profiles "[profile dev]"; people copy such headers into credentials.
    constexpr std::string_view prefix = "profile";
    if (name.starts_with(prefix) && name.size() > prefix.size() &&
        whitespace.find(name[prefix.size()]) != std::string_view::npos) {
        name = trim(name.substr(prefix.size()));
    }
    return name;
}

struct file_text {
    std::string text;
    std::string failure;  // why it could not be read; empty on success
};

file_text read_file(const std::string& path) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    if (!file) {
        return {{}, std::generic_category().message(errno)};
    }
    file_text out;
    char buffer[4096];
    while (true) {
        const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
        out.text.append(buffer, n);
        if (out.text.size() > max_file_size) {
            return {{}, "larger than 1 MiB, not a credentials file"};
        }
        if (n < sizeof buffer) {
            break;
        }
    }
    if (std::ferror(file.get()) != 0) {
        return {{}, std::generic_category().message(errno)};  // e.g. EISDIR for a directory
    }
    return out;
}

/// $AWS_SHARED_CREDENTIALS_FILE and the option may start with "~/", as the AWS CLI allows.
std::string expand_home(std::string_view path, std::string_view home) {
    if (path.starts_with("~/") && !home.empty()) {
        return std::string(home) + std::string(path.substr(1));
    }
    return std::string(path);
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

result<credentials> parse_credentials_file(std::string_view text, std::string_view profile) {
    if (profile.empty()) {
        profile = "default";
    }
    if (text.starts_with("\xEF\xBB\xBF")) {  // UTF-8 BOM from Windows editors
        text.remove_prefix(3);
    }
    credentials found;
    bool in_profile = false;
    bool seen_profile = false;
    bool has_key_id = false;
    bool has_secret = false;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        const std::string_view line = trim(text.substr(0, eol));
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        if (line.empty() || line.front() == '#' || line.front() == ';') {
            continue;
        }
        if (line.front() == '[') {
            const auto name = section_name(line);
            in_profile = name && *name == profile;
            seen_profile = seen_profile || in_profile;
            continue;
        }
        if (!in_profile) {
            continue;
        }
        // Python's configparser, which the AWS CLI uses, accepts both '=' and ':'.
        const auto delimiter = line.find_first_of("=:");
        if (delimiter == std::string_view::npos) {
            continue;
        }
        const std::string key = ascii_lower(trim(line.substr(0, delimiter)));
        const std::string_view value = trim(line.substr(delimiter + 1));
        if (key == "aws_access_key_id") {
            found.access_key_id = value;
            has_key_id = !value.empty();
        } else if (key == "aws_secret_access_key") {
            found.secret_access_key = value;
            has_secret = !value.empty();
        } else if (key == "aws_session_token") {
            found.session_token = value;
        }
    }
    const std::string quoted = "profile '" + std::string(profile) + "'";
    if (!seen_profile) {
        return {errc::no_credentials, quoted + " not found"};
    }
    if (!has_key_id && !has_secret) {
        return {errc::no_credentials,
                quoted +
                    " has no aws_access_key_id and no aws_secret_access_key (role_arn, sso "
                    "and credential_process profiles are not supported)"};
    }
    if (!has_key_id) {
        return {errc::no_credentials, quoted + " has no aws_access_key_id"};
    }
    if (!has_secret) {
        return {errc::no_credentials, quoted + " has no aws_secret_access_key"};
    }
    return found;
}

result<credentials> load_credentials(const credential_options& options, const environment& env) {
    const std::string_view env_key_id = lookup(env, "AWS_ACCESS_KEY_ID");
    const std::string_view env_secret = lookup(env, "AWS_SECRET_ACCESS_KEY");
    if (!env_key_id.empty() && !env_secret.empty()) {
        return credentials{std::string(env_key_id), std::string(env_secret),
                           std::string(lookup(env, "AWS_SESSION_TOKEN"))};
    }
    // Half a pair is a mistake worth stopping for, not a reason to pick up other credentials.
    if (!env_key_id.empty()) {
        return {errc::no_credentials, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"};
    }
    if (!env_secret.empty()) {
        return {errc::no_credentials, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"};
    }

    std::string profile = options.profile;
    if (profile.empty()) {
        profile = lookup(env, "AWS_PROFILE");
    }
    if (profile.empty()) {
        profile = "default";
    }
    const std::string tried = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and ";

    const std::string_view home = lookup(env, "HOME");
    std::string path = options.credentials_file;
    if (path.empty()) {
        path = lookup(env, "AWS_SHARED_CREDENTIALS_FILE");
    }
    if (path.empty()) {
        if (home.empty()) {
            return {errc::no_credentials,
                    tried + "HOME is not set to find ~/.aws/credentials (profile '" + profile +
                        "'; set AWS_SHARED_CREDENTIALS_FILE)"};
        }
        path = std::string(home) + "/.aws/credentials";
    }
    path = expand_home(path, home);

    const file_text file = read_file(path);
    if (!file.failure.empty()) {
        return {errc::no_credentials,
                tried + "cannot read " + path + " (profile '" + profile + "'): " + file.failure};
    }
    auto parsed = parse_credentials_file(file.text, profile);
    if (!parsed) {
        return {errc::no_credentials, tried + parsed.err().message + " in " + path};
    }
    return parsed;
}

}  // namespace mps3::s3
