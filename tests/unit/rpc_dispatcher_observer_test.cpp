// The dispatcher's request observer (request metrics): told once per answered request, with the
// method, the answer's code and the time to the answer; a made-up method and an invalid item
// are labelled as such, never by what the client sent; notifications are not counted.
#include <mps3/ipc/dispatcher.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace mps3::ipc;

namespace {

struct seen {
    std::string method;
    int code = 0;
};

struct watcher {
    std::vector<seen> answered;
    std::shared_ptr<const request_observer> observer() {
        return std::make_shared<const request_observer>([this](const answered_request& a) {
            answered.push_back({std::string(a.method), a.code});
            CHECK(a.elapsed.count() >= 0);
        });
    }
};

}  // namespace

TEST_CASE("rpc dispatcher observer: results, errors, later answers, unknown and invalid items") {
    watcher w;
    dispatcher d;
    d.observe(w.observer());
    d.add_sync("ok", [](const request&) -> rpc_result<std::string> { return std::string("1"); });
    d.add_sync("refuse", [](const request&) -> rpc_result<std::string> {
        return rpc_error(rpc_code::invalid_params, "no");
    });
    std::optional<reply> kept;
    d.add("later", [&](const request&, reply& r) { kept.emplace(std::move(r)); });
    std::vector<std::string> lines;
    const auto write = [&](std::string l) { lines.push_back(std::move(l)); };

    d.dispatch(R"({"jsonrpc":"2.0","method":"ok","id":1})", write);
    d.dispatch(R"({"jsonrpc":"2.0","method":"refuse","id":2})", write);
    d.dispatch(R"({"jsonrpc":"2.0","method":"made up by the client","id":3})", write);
    d.dispatch(R"({"jsonrpc":"2.0","method":"ok"})", write);  // a notification: no answer
    d.dispatch(R"([{"jsonrpc":"2.0","method":"ok","id":4},{"nonsense":true}])", write);
    d.dispatch(R"({"jsonrpc":"2.0","method":"later","id":5})", write);
    REQUIRE(w.answered.size() == 5);  // "later" is not answered yet
    CHECK(w.answered[0].method == "ok");
    CHECK(w.answered[0].code == 0);
    CHECK(w.answered[1].method == "refuse");
    CHECK(w.answered[1].code == static_cast<int>(rpc_code::invalid_params));
    CHECK(w.answered[2].method == "(unknown)");
    CHECK(w.answered[2].code == static_cast<int>(rpc_code::method_not_found));
    CHECK(w.answered[3].method == "ok");
    CHECK(w.answered[4].method == "(invalid)");
    CHECK(w.answered[4].code == static_cast<int>(rpc_code::invalid_request));

    REQUIRE(kept.has_value());
    kept->result("true");
    REQUIRE(w.answered.size() == 6);
    CHECK(w.answered[5].method == "later");
    CHECK(w.answered[5].code == 0);

    // A reply dropped unanswered is answered -32603, and counted so.
    d.dispatch(R"({"jsonrpc":"2.0","method":"later","id":6})", write);
    kept.reset();
    REQUIRE(w.answered.size() == 7);
    CHECK(w.answered[6].code == static_cast<int>(rpc_code::internal_error));
}

TEST_CASE("rpc dispatcher observer: none set, nothing watched") {
    dispatcher d;
    d.add_sync("ok", [](const request&) -> rpc_result<std::string> { return std::string("1"); });
    std::vector<std::string> lines;
    d.dispatch(R"({"jsonrpc":"2.0","method":"ok","id":1})",
               [&](std::string l) { lines.push_back(std::move(l)); });
    CHECK(lines.size() == 1);
}
