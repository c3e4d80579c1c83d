// The socket's byte stream as a client could send it: line framing (fed in chunks), message
// parsing and dispatch to a small method table with synchronous, asynchronous, throwing and
// forgetful handlers.
//
// Invariants: the frames do not depend on how the stream is chunked and match a direct reading
// of the framing rules; the splitter never holds more than a frame; every line that needs an
// answer gets exactly one response line, which the client codec reads back with one response per
// request that has an id (or was refused), in order, each carrying the request's id; echo
// returns its params unchanged.
#include "fuzz_check.hpp"

#include <mps3/ipc/dispatcher.hpp>
#include <mps3/ipc/json_builder.hpp>

#include <mps3/ipc/client.hpp>
#include <mps3/ipc/line_splitter.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace mps3::ipc;
using mps3::fuzz::as_text;

// Small enough that the fuzzer reaches oversized frames with short inputs.
constexpr std::size_t max_frame = 1024;

struct expected_frame {
    frame::kind type;
    std::string text;
    friend bool operator==(const expected_frame&, const expected_frame&) = default;
};

// The framing rules of line_splitter.hpp, read straight off the whole stream.
std::vector<expected_frame> reference_frames(std::string_view stream) {
    std::vector<expected_frame> out;
    while (!stream.empty()) {
        std::string_view line = mps3::fuzz::take_line(stream);
        if (line.size() > max_frame + 1) {  // one '\r' more is allowed until the line ends
            out.push_back({frame::kind::oversized, {}});
            continue;
        }
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (line.size() > max_frame) {
            out.push_back({frame::kind::oversized, {}});
        } else if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
            out.push_back({frame::kind::line, std::string(line)});
        }
    }
    return out;
}

// Feeds the stream in chunks whose sizes come from a generator seeded by the input, so the same
// input always splits the same way (reproducible findings) while inputs differ in their splits;
// seed 0: the whole stream as one chunk.
std::vector<expected_frame> split(std::string_view stream, std::uint64_t seed) {
    const bool whole = seed == 0;
    line_splitter splitter(max_frame);
    std::vector<expected_frame> out;
    const auto take = [&](const frame& f) {
        FUZZ_CHECK(f.type == frame::kind::oversized || f.text.size() <= max_frame);
        FUZZ_CHECK(f.text.find('\n') == std::string_view::npos);
        out.push_back({f.type, std::string(f.text)});
    };
    while (!stream.empty()) {
        seed = seed * 6364136223846793005U + 1442695040888963407U;
        const std::size_t chunk = whole ? stream.size() : 1 + (seed >> 33) % 300;
        const std::string_view piece = stream.substr(0, chunk);
        stream.remove_prefix(piece.size());
        splitter.feed(piece);
        while (auto f = splitter.next()) {
            take(*f);
        }
        FUZZ_CHECK(splitter.buffered() <= max_frame + 1);
    }
    if (auto f = splitter.finish()) {
        take(*f);
    }
    FUZZ_CHECK(splitter.buffered() == 0 && !splitter.skipping());
    return out;
}

struct fixture {
    dispatcher methods;
    std::vector<reply> parked;

    fixture() {
        methods.add_sync("echo", [](const request& r) -> rpc_result<std::string> {
            return r.params_value ? mps3::fuzz::to_json(*r.params_value) : std::string("null");
        });
        methods.add_sync("sum", [](const request& r) -> rpc_result<std::string> {
            const auto args = r.args();
            if (auto unknown = args.only({"a", "b"})) {
                return *unknown;
            }
            const auto a = args.required_int("a", -(std::int64_t{1} << 52), std::int64_t{1} << 52);
            if (!a) {
                return a.err();
            }
            const auto b = args.optional_int("b", -1000, 1000);
            if (!b) {
                return b.err();
            }
            return std::to_string(*a + b->value_or(0));
        });
        methods.add("later",
                    [this](const request&, reply& answer) { parked.push_back(std::move(answer)); });
        methods.add("throw", [](const request&, reply&) { throw std::runtime_error("boom"); });
        methods.add("forget", [](const request&, reply&) {});
    }
};

void check_dispatch(fixture& f, std::string_view line) {
    const message msg = parse_message(line, f.methods.limits());
    FUZZ_CHECK(!msg.items.empty());
    FUZZ_CHECK(msg.batch || msg.items.size() == 1);
    std::vector<rpc_id> expected_ids;
    for (const auto& item : msg.items) {
        if (const auto* r = std::get_if<rejected>(&item)) {
            expected_ids.push_back(r->id);
        } else if (const auto& q = std::get<request>(item); q.id) {
            expected_ids.push_back(*q.id);
        }
    }

    std::vector<std::string> written;
    f.methods.dispatch(line, [&](std::string out) { written.push_back(std::move(out)); });
    // Answer the parked replies last first: completion order must not matter. The line waits
    // for every reply that wants a response, and only for those: a parked notification's reply
    // holds nothing up (rpc_dispatcher_test.cpp checks the same).
    while (!f.parked.empty()) {
        const bool waiting = std::any_of(f.parked.begin(), f.parked.end(),
                                         [](const reply& r) { return r.wants_response(); });
        FUZZ_CHECK(!waiting || written.empty());
        f.parked.back().result("true");
        f.parked.pop_back();
    }
    if (expected_ids.empty()) {
        FUZZ_CHECK(written.empty());
        return;
    }
    FUZZ_CHECK(written.size() == 1);
    std::string_view out = written.front();
    FUZZ_CHECK(out.ends_with('\n') && out.find('\n') == out.size() - 1);
    out.remove_suffix(1);
    FUZZ_CHECK(out.front() == (msg.batch ? '[' : '{'));
    auto responses = parse_incoming_line(out);
    FUZZ_CHECK(responses.has_value());
    FUZZ_CHECK(responses->size() == expected_ids.size());
    for (std::size_t i = 0; i < expected_ids.size(); ++i) {
        const auto* response = std::get_if<rpc_response>(&(*responses)[i]);
        FUZZ_CHECK(response != nullptr);
        FUZZ_CHECK(response->id == expected_ids[i]);
    }
    // A single echo request comes back with its params as they were sent.
    if (!msg.batch) {
        const auto* q = std::get_if<request>(&msg.items.front());
        const auto& response = std::get<rpc_response>(responses->front());
        if (q != nullptr && q->method == "echo" && q->params_value &&
            !mps3::fuzz::has_duplicate_names(*q->params_value)) {
            FUZZ_CHECK(response.ok());
            FUZZ_CHECK(response.result == *q->params_value);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view stream = as_text(data, size);
    std::uint64_t seed = size;
    for (std::size_t i = 0; i < size && i < 8; ++i) {
        seed = seed * 131 + data[i];
    }
    seed |= 1;  // never the whole-stream split, which is checked against it
    const auto frames = split(stream, seed);
    FUZZ_CHECK(frames == split(stream, 0));
    FUZZ_CHECK(frames == reference_frames(stream));

    static fixture f;
    for (const auto& fr : frames) {
        if (fr.type == frame::kind::line) {
            check_dispatch(f, fr.text);
        }
    }
    return 0;
}
