// The AWS CLI's configuration file (~/.aws/config, or $AWS_CONFIG_FILE) and the profile
// sections it shares with the credentials file, read as the AWS CLI (botocore) reads them:
// https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html
#pragma once

#include <mps3/result.hpp>
#include <mps3/s3/credentials.hpp>

#include <map>
#include <string>
#include <string_view>

namespace mps3::s3 {

/// One profile's settings. Keys are lower-cased; when a key (or the profile) appears twice, the
/// last one wins.
struct aws_profile {
    bool found = false;
    std::map<std::string, std::string> values;  // region, endpoint_url, credential_process...
    /// The profile's nested `s3 =` settings (addressing_style).
    std::map<std::string, std::string> s3;
    /// `services = NAME` -> [services NAME] -> `s3 =` settings (endpoint_url, addressing_style).
    std::map<std::string, std::string> services_s3;

    /// The value, "" when not set.
    [[nodiscard]] std::string value(const std::string& key) const;
};

enum class aws_file {
    config,       // [profile NAME], [default] (or [profile default]); [services NAME]
    credentials,  // [NAME] (and [profile NAME], which people copy there)
};

/// Profile `profile` ("default" when empty) of one file's text. Other sections ([sso-session
/// ...], other profiles, unnamed services) are ignored, as are lines the CLI could not use.
aws_profile parse_aws_profile(std::string_view text, std::string_view profile, aws_file kind);

struct aws_config {
    std::string path;     // the file read; "" when none applies (no HOME, no AWS_CONFIG_FILE)
    std::string profile;  // the profile's name
    aws_profile settings;
    /// "profile 'dev' of /home/me/.aws/config", for messages.
    [[nodiscard]] std::string origin() const;
};

/// The config file: `explicit_path`, else $AWS_CONFIG_FILE, else ~/.aws/config ("~/"
/// expanded). A missing file is an empty one (the AWS CLI's rule); one that cannot be read is
/// errc::invalid_argument naming the path. `profile` as for profile_name().
result<aws_config> load_aws_config(std::string_view profile, const environment& env,
                                   std::string_view explicit_path = {});

}  // namespace mps3::s3
