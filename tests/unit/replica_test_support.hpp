// Shared by the replica unit tests: a temporary directory for real SQLite files, and a clock
// the test moves by hand.
#pragma once

#include "replica/types.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

namespace mps3::replica::testing {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "mps3-replica-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

struct manual_clock {
    std::shared_ptr<std::int64_t> ms = std::make_shared<std::int64_t>(1'700'000'000'000);
    time_point operator()() const { return time_point(std::chrono::milliseconds(*ms)); }
};

}  // namespace mps3::replica::testing
