#include "s3/aws_files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

namespace mps3::s3::detail {
namespace {

constexpr std::size_t max_file_size = 1024 * 1024;

}  // namespace

file_text read_file(const std::string& path) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    if (!file) {
        const int why = errno;
        return {{}, why == ENOENT, std::generic_category().message(why)};
    }
    file_text out;
    char buffer[4096];
    while (true) {
        const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
        out.text.append(buffer, n);
        if (out.text.size() > max_file_size) {
            return {{}, false, "larger than 1 MiB, not an AWS configuration or credentials file"};
        }
        if (n < sizeof buffer) {
            break;
        }
    }
    if (std::ferror(file.get()) != 0) {
        return {{}, false, std::generic_category().message(errno)};  // EISDIR for a directory
    }
    return out;
}

file_stamp stamp_of(const std::string& path) {
    struct stat info {};
    if (path.empty() || ::stat(path.c_str(), &info) != 0) {
        return {};
    }
    return {.exists = true,
            .mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
                        info.st_mtim.tv_nsec,
            .size = static_cast<std::int64_t>(info.st_size),
            .inode = static_cast<std::uint64_t>(info.st_ino)};
}

std::string_view lookup(const environment& env, const std::string& name) {
    const auto it = env.find(name);
    return it == env.end() ? std::string_view{} : std::string_view{it->second};
}

std::string expand_home(std::string_view path, std::string_view home) {
    if (path.starts_with("~/") && !home.empty()) {
        return std::string(home) + std::string(path.substr(1));
    }
    return std::string(path);
}

std::string aws_file_path(std::string_view explicit_path, const environment& env,
                          const char* variable, std::string_view default_relative) {
    const std::string_view home = lookup(env, "HOME");
    std::string path(explicit_path);
    if (path.empty()) {
        path = lookup(env, variable);
    }
    if (path.empty()) {
        if (home.empty()) {
            return {};
        }
        return std::string(home) + "/" + std::string(default_relative);
    }
    return expand_home(path, home);
}

}  // namespace mps3::s3::detail
