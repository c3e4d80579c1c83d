// Line framing: whatever chunks the socket returns, the same lines come out, and a peer that
// sends a line over the limit (or no newline at all) costs at most one frame of memory.
#include <mps3/ipc/line_splitter.hpp>

#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <vector>

using mps3::ipc::frame;
using mps3::ipc::line_splitter;

namespace {

// Frames as strings: a line's text, or "<oversized>".
std::vector<std::string> drain(line_splitter& s) {
    std::vector<std::string> out;
    while (auto f = s.next()) {
        out.push_back(f->type == frame::kind::line ? std::string(f->text) : "<oversized>");
    }
    return out;
}

std::vector<std::string> split(line_splitter& s, const std::vector<std::string>& chunks,
                               bool finish = false) {
    std::vector<std::string> out;
    for (const auto& c : chunks) {
        s.feed(c);
        for (auto& l : drain(s)) {
            out.push_back(std::move(l));
        }
    }
    if (finish) {
        if (auto f = s.finish()) {
            out.push_back(f->type == frame::kind::line ? std::string(f->text) : "<oversized>");
        }
    }
    return out;
}

using lines = std::vector<std::string>;

}  // namespace

TEST_CASE("rpc framing: lines end at '\\n', \"\\r\\n\" is tolerated, blank lines are skipped") {
    line_splitter s;
    CHECK(split(s, {"{\"a\":1}\n{\"b\":2}\r\n\n\r\n   \t \r\n[3]\n"}) ==
          lines{"{\"a\":1}", "{\"b\":2}", "[3]"});
    CHECK(s.buffered() == 0);
    CHECK(split(s, {"no newline yet"}).empty());
    CHECK(s.buffered() == 14);
    CHECK(split(s, {", now\n"}) == lines{"no newline yet, now"});
    // Only one trailing '\r' belongs to the terminator; a '\r' inside a line is the line's.
    CHECK(split(s, {"a\rb\r\r\n"}) == lines{"a\rb\r"});
}

TEST_CASE("rpc framing: chunked input at every split position gives the same lines") {
    const std::string stream =
        "{\"jsonrpc\":\"2.0\",\"method\":\"get\",\"id\":1}\r\n\n"
        "[{\"x\":\"\xc3\xa9\"},{}]\n \n\r\n"
        "{\"long\":\"" +
        std::string(300, 'x') + "\"}\n" + std::string(40, 'y') + "\n";
    line_splitter whole;
    const lines expected = split(whole, {stream});
    REQUIRE(expected.size() == 4);

    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        line_splitter s;
        CHECK_MESSAGE(split(s, {stream.substr(0, cut), stream.substr(cut)}) == expected, cut);
    }
    for (std::size_t a = 0; a <= stream.size(); a += 7) {
        for (std::size_t b = a; b <= stream.size(); b += 5) {
            line_splitter s;
            CHECK(split(s, {stream.substr(0, a), stream.substr(a, b - a), stream.substr(b)}) ==
                  expected);
        }
    }
    line_splitter bytes;
    std::vector<std::string> one_by_one;
    for (char c : stream) {
        one_by_one.emplace_back(1, c);
    }
    CHECK(split(bytes, one_by_one) == expected);
}

TEST_CASE("rpc framing: a line over the limit is reported once and skipped to its newline") {
    line_splitter s(16);
    CHECK(split(s, {std::string(16, 'a') + "\n"}) == lines{std::string(16, 'a')});
    CHECK(split(s, {std::string(16, 'a') + "\r\n"}) == lines{std::string(16, 'a')});
    CHECK(split(s, {std::string(17, 'a') + "\n"}) == lines{"<oversized>"});
    CHECK(split(s, {std::string(17, 'a') + "\r\n"}) == lines{"<oversized>"});
    CHECK(split(s, {std::string(40, 'a') + "\nok\n"}) == lines{"<oversized>", "ok"});
    CHECK_FALSE(s.skipping());

    SUBCASE("split across chunks, byte by byte: never more than a frame buffered") {
        line_splitter t(16);
        std::vector<std::string> out;
        const std::string stream = std::string(1000, 'z') + "\n{\"after\":true}\n";
        for (char c : stream) {
            const std::string chunk(1, c);
            t.feed(chunk);
            for (auto& l : drain(t)) {
                out.push_back(std::move(l));
            }
            CHECK(t.buffered() <= 17);
        }
        CHECK(out == lines{"<oversized>", "{\"after\":true}"});
    }
    SUBCASE("the limit is crossed inside a chunk that also holds the newline") {
        line_splitter t(16);
        CHECK(split(t, {"0123456789", "0123456789\n1\n"}) == lines{"<oversized>", "1"});
    }
}

TEST_CASE("rpc framing: a peer that never sends a newline costs bounded memory") {
    line_splitter s(1024);
    const std::string chunk(std::size_t{64} << 10, 'x');
    std::size_t oversized = 0;
    for (int i = 0; i < 1600; ++i) {  // 100 MiB
        s.feed(chunk);
        while (auto f = s.next()) {
            CHECK(f->type == frame::kind::oversized);
            ++oversized;
        }
        CHECK(s.buffered() <= 1025);
    }
    CHECK(oversized == 1);
    CHECK(s.skipping());
    CHECK(split(s, {"tail\n{\"ok\":1}\n"}) == lines{"{\"ok\":1}"});
}

TEST_CASE("rpc framing: the default limit is 16 MiB") {
    line_splitter s;
    CHECK(s.max_frame() == std::size_t{16} << 20);
    const std::string big(std::size_t{16} << 20, 'b');
    CHECK(split(s, {big, "\n"}) == lines{big});
    CHECK(split(s, {big, "b\n", "next\n"}) == lines{"<oversized>", "next"});
}

TEST_CASE("rpc framing: finish() yields an unterminated last line") {
    line_splitter s(8);
    CHECK(split(s, {"[1]\n[2]"}, true) == lines{"[1]", "[2]"});
    CHECK(s.buffered() == 0);
    CHECK(split(s, {"[3]\r"}, true) == lines{"[3]"});
    CHECK(split(s, {"   "}, true).empty());
    CHECK(split(s, {std::string(30, 'q')}, true) == lines{"<oversized>"});  // once, not twice
    CHECK_FALSE(s.skipping());
    CHECK(split(s, {"[4]\n"}) == lines{"[4]"});
}

TEST_CASE("rpc framing: binary garbage is framed like anything else") {
    line_splitter s(64);
    const std::string garbage("\x00\xff\xfe\n\x80\x81\r\n\x00\x00\x00\n", 12);
    const auto out = split(s, {garbage});
    REQUIRE(out.size() == 3);
    CHECK(out[0] == std::string("\x00\xff\xfe", 3));
    CHECK(out[1] == std::string("\x80\x81", 2));
    CHECK(out[2] == std::string(3, '\0'));
}
