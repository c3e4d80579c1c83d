// Key and prefix subscriptions: who hears which change, and handlers that (un)subscribe while
// changes are being delivered.
#include "engine/subscription_hub.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mps3;

namespace {

std::vector<change_event> events(std::initializer_list<const char*> keys) {
    std::vector<change_event> out;
    std::uint64_t seq = 0;
    for (const auto* k : keys) {
        change_event e;
        e.seq = ++seq;
        e.key = k;
        out.push_back(e);
    }
    return out;
}

}  // namespace

TEST_CASE("subscription hub: exact keys and prefixes, in order") {
    engine::subscription_hub hub;
    std::vector<std::string> exact, prefixed, everything;
    hub.add("users/ada", false, [&](const change_event& e) { exact.push_back(e.key); });
    hub.add("users/", true, [&](const change_event& e) { prefixed.push_back(e.key); });
    hub.add("", true, [&](const change_event& e) { everything.push_back(e.key); });
    hub.publish(events({"users/ada", "users/adam", "groups/x", "users/bob"}));
    CHECK(exact == std::vector<std::string>{"users/ada"});
    CHECK(prefixed == std::vector<std::string>{"users/ada", "users/adam", "users/bob"});
    CHECK(everything.size() == 4);
}

TEST_CASE("subscription hub: a handler that removes itself or others, or adds one") {
    engine::subscription_hub hub;
    int first = 0, second = 0, added = 0;
    std::uint64_t second_id = 0;
    std::uint64_t first_id = 0;
    first_id = hub.add("", true, [&](const change_event&) {
        ++first;
        hub.remove(first_id);                                      // only the first event
        hub.remove(second_id);                                     // and the other one from now on
        hub.add("", true, [&](const change_event&) { ++added; });  // hears the next publish
    });
    second_id = hub.add("", true, [&](const change_event&) { ++second; });
    hub.publish(events({"a", "b", "c"}));
    CHECK(first == 1);
    CHECK(second == 0);  // removed before its turn on the first event
    CHECK(added == 0);
    hub.publish(events({"d"}));
    CHECK(added == 1);
    CHECK(hub.size() == 1);
    hub.clear();
    CHECK(hub.empty());
    hub.publish(events({"e"}));
    CHECK(added == 1);
}
