#include <doctest/doctest.h>

#include "log_sink.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mps3;
using namespace mps3::daemon;

TEST_CASE("log lines: logfmt, one line whatever the message holds") {
    const log_format plain{.journald = false, .timestamps = false};
    CHECK(format_log_line(log_level::info, "sync", "hello", plain) ==
          "level=info component=sync msg=\"hello\"\n");
    CHECK(format_log_line(log_level::warn, "s3", "a \"quoted\"\nsecond\tline\\", plain) ==
          "level=warn component=s3 msg=\"a \\\"quoted\\\"\\nsecond\\tline\\\\\"\n");
    CHECK(format_log_line(log_level::error, "ipc", std::string("nul\x01", 4), plain) ==
          "level=error component=ipc msg=\"nul\\x01\"\n");
}

TEST_CASE("log lines: journald priority prefixes, timestamps otherwise") {
    const log_format journal{.journald = true};
    CHECK(format_log_line(log_level::error, "x", "m", journal).starts_with("<3>level=error"));
    CHECK(format_log_line(log_level::warn, "x", "m", journal).starts_with("<4>"));
    CHECK(format_log_line(log_level::info, "x", "m", journal).starts_with("<6>"));
    CHECK(format_log_line(log_level::debug, "x", "m", journal).starts_with("<7>"));
    const auto stamped = format_log_line(log_level::info, "x", "m", log_format{});
    CHECK(stamped.starts_with("ts=20"));
    CHECK(stamped.find("Z level=info") != std::string::npos);
}

TEST_CASE("the sink filters by level") {
    std::FILE* out = std::tmpfile();
    REQUIRE(out != nullptr);
    auto sink = make_log_sink(log_level::warn, log_format{.timestamps = false}, out);
    sink(log_level::info, "x", "dropped");
    sink(log_level::error, "x", "kept");
    std::rewind(out);
    char buffer[256] = {};
    const auto n = std::fread(buffer, 1, sizeof buffer - 1, out);
    std::fclose(out);
    CHECK(std::string(buffer, n) == "level=error component=x msg=\"kept\"\n");
}

TEST_CASE("JOURNAL_STREAM counts only when it names the file descriptor's file") {
    // A real file stands for the journal's socket: what matters is its device and inode.
    char path[] = "/tmp/mps3-journal-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    const auto dev = std::to_string(static_cast<std::uintmax_t>(st.st_dev));
    const auto ino = std::to_string(static_cast<std::uintmax_t>(st.st_ino));
    CHECK(journal_stream_names(dev + ":" + ino, fd));
    // Inherited by a shell whose stderr is elsewhere: another inode, or another device.
    CHECK_FALSE(journal_stream_names(dev + ":" + std::to_string(st.st_ino + 1), fd));
    CHECK_FALSE(journal_stream_names(std::to_string(st.st_dev + 1) + ":" + ino, fd));
    // Malformed values never count.
    CHECK_FALSE(journal_stream_names("", fd));
    CHECK_FALSE(journal_stream_names(dev, fd));
    CHECK_FALSE(journal_stream_names(dev + ":", fd));
    CHECK_FALSE(journal_stream_names(":" + ino, fd));
    CHECK_FALSE(journal_stream_names(dev + ":" + ino + "x", fd));
    CHECK_FALSE(journal_stream_names("-1:" + ino, fd));
    // A closed descriptor names nothing.
    ::close(fd);
    ::unlink(path);
    CHECK_FALSE(journal_stream_names(dev + ":" + ino, fd));
}
