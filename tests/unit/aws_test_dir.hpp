// A private directory for the AWS configuration tests' files (credentials, config, scripts).
#pragma once

#include <doctest/doctest.h>

#include <stdlib.h>  // mkdtemp
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace mps3::test {

/// A private directory under $TMPDIR, removed with everything in it.
class aws_test_dir {
  public:
    aws_test_dir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mps3-aws-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~aws_test_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    aws_test_dir(const aws_test_dir&) = delete;
    aws_test_dir& operator=(const aws_test_dir&) = delete;

    /// Writes (replacing) a file; `executable` makes it a script to run.
    [[nodiscard]] std::string write(const std::string& relative, const std::string& text,
                                    bool executable = false) const {
        const auto file = path_ / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
        if (executable) {
            ::chmod(file.c_str(), 0700);
        }
        return file.string();
    }
    [[nodiscard]] std::string path() const { return path_.string(); }

  private:
    std::filesystem::path path_;
};

}  // namespace mps3::test
