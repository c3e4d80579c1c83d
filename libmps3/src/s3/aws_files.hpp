// Reading the AWS CLI's files: where they are, their text (bounded), and a cheap stamp that
// tells whether one changed since it was read.
#pragma once

#include <mps3/s3/credentials.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mps3::s3::detail {

struct file_text {
    std::string text;
    bool missing = false;  // ENOENT: the AWS CLI treats a missing file as an empty one
    std::string failure;   // why it could not be read; empty on success
};

/// At most 1 MiB: these files are a few hundred bytes, and the bound keeps a path such as
/// /dev/zero from hanging the daemon.
file_text read_file(const std::string& path);

/// What stat() says of a file, to notice a change without reading it: equal stamps, same file.
struct file_stamp {
    bool exists = false;
    std::int64_t mtime_ns = 0;
    std::int64_t size = 0;
    std::uint64_t inode = 0;  // editors and `mv` replace the file rather than write it in place
    bool operator==(const file_stamp&) const = default;
};
file_stamp stamp_of(const std::string& path);

/// The variable's value, "" when unset or set but empty (as the AWS CLI treats it).
std::string_view lookup(const environment& env, const std::string& name);

/// "~/x" with $HOME, as the AWS CLI expands AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
std::string expand_home(std::string_view path, std::string_view home);

/// The explicit path, else the variable, else $HOME/<default_relative>; "" when none applies
/// (no HOME).
std::string aws_file_path(std::string_view explicit_path, const environment& env,
                          const char* variable, std::string_view default_relative);

}  // namespace mps3::s3::detail
