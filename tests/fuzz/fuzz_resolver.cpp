// The reader's resolution (BUCKET_FORMAT.md section 6) over any listing. Input: the manifest key
// on the first line, then one listed object per line, "KEY" or "KEY<tab>LastModified (ISO
// 8601)"; a line "!KEY" marks KEY's body as unreadable instead.
//
// Invariants: the plan does not depend on the listing's order; every listed object is an entry
// or foreign; entries are unique, newest first; latest is the newest valid entry; replay is the
// valid entries of the window, oldest first, ending with latest; garbage is exactly the rest
// that may go (invalid forever, or valid/unreadable below the window) and never meets replay;
// marking latest unreadable moves latest to the next valid entry; resolve replays in order.
#include "fuzz_check.hpp"

#include "protocol/resolver.hpp"
#include "s3/time_format.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mps3::protocol;

std::vector<std::string> keys_of(const std::vector<entry_key>& v) {
    std::vector<std::string> out;
    for (const auto& k : v) {
        out.push_back(k.key);
    }
    return out;
}

bool same_plan(const resolve_plan& a, const resolve_plan& b) {
    if (a.entries.size() != b.entries.size() || a.foreign != b.foreign) {
        return false;
    }
    for (std::size_t i = 0; i < a.entries.size(); ++i) {
        if (a.entries[i].key.key != b.entries[i].key.key ||
            a.entries[i].status != b.entries[i].status) {
            return false;
        }
    }
    return a.latest.has_value() == b.latest.has_value() &&
           (!a.latest || a.latest->key == b.latest->key) &&
           keys_of(a.replay) == keys_of(b.replay) && keys_of(a.garbage) == keys_of(b.garbage);
}

void check_plan(std::string_view manifest, const std::vector<listed_object>& listing,
                const std::vector<std::string>& unreadable, const resolve_plan& plan) {
    std::set<std::string> entry_keys;
    std::size_t foreign = 0;
    for (const auto& o : listing) {
        if (parse_entry_key(manifest, o.key)) {
            entry_keys.insert(o.key);
        } else {
            ++foreign;
        }
    }
    FUZZ_CHECK(plan.foreign == foreign && plan.entries.size() == entry_keys.size());
    for (std::size_t i = 1; i < plan.entries.size(); ++i) {
        FUZZ_CHECK(newer_than(plan.entries[i - 1].key, plan.entries[i].key));
    }

    const auto first_valid =
        std::find_if(plan.entries.begin(), plan.entries.end(),
                     [](const classified_entry& e) { return e.status == entry_status::valid; });
    FUZZ_CHECK(plan.latest.has_value() == (first_valid != plan.entries.end()));
    if (!plan.latest) {
        FUZZ_CHECK(plan.replay.empty());
    } else {
        FUZZ_CHECK(plan.latest->key == first_valid->key.key);
        FUZZ_CHECK(!plan.replay.empty() && plan.replay.back().key == plan.latest->key);
    }
    const auto replay_keys = keys_of(plan.replay);
    const auto garbage_keys = keys_of(plan.garbage);
    const std::set<std::string> replay(replay_keys.begin(), replay_keys.end());
    const std::set<std::string> garbage(garbage_keys.begin(), garbage_keys.end());
    FUZZ_CHECK(replay.size() == plan.replay.size() && garbage.size() == plan.garbage.size());
    for (std::size_t i = 1; i < plan.replay.size(); ++i) {
        FUZZ_CHECK(newer_than(plan.replay[i], plan.replay[i - 1]));
    }
    for (std::size_t i = 1; i < plan.garbage.size(); ++i) {
        FUZZ_CHECK(newer_than(plan.garbage[i - 1], plan.garbage[i]));
    }
    for (const auto& e : plan.entries) {
        const bool marked =
            std::find(unreadable.begin(), unreadable.end(), e.key.key) != unreadable.end();
        FUZZ_CHECK((e.status == entry_status::unreadable) ==
                   (marked && e.key.ts && e.status != entry_status::clock_skew &&
                    e.status != entry_status::no_timestamp));
        FUZZ_CHECK((e.status == entry_status::no_timestamp) == !e.key.ts);
        const bool in_window =
            plan.latest && e.key.ts && *e.key.ts > *plan.latest->ts - replay_window;
        const bool in_replay = replay.contains(e.key.key);
        const bool in_garbage = garbage.contains(e.key.key);
        FUZZ_CHECK(!(in_replay && in_garbage));
        switch (e.status) {
            case entry_status::valid:
                FUZZ_CHECK(in_replay == in_window && in_garbage == !in_window);
                break;
            case entry_status::unreadable:
                FUZZ_CHECK(!in_replay && in_garbage == (plan.latest && !in_window));
                break;
            case entry_status::no_timestamp:
            case entry_status::clock_skew:
                FUZZ_CHECK(in_garbage);
                break;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = mps3::fuzz::as_text(data, size);
    const auto next_line = [&text] { return mps3::fuzz::take_line(text); };
    const std::string_view manifest = next_line();
    std::vector<listed_object> listing;
    std::vector<std::string> unreadable;
    std::set<std::string> distinct;
    while (!text.empty()) {
        const std::string_view line = next_line();
        if (line.starts_with('!')) {
            unreadable.emplace_back(line.substr(1));
            continue;
        }
        const auto tab = line.find('\t');
        listed_object o{std::string(line.substr(0, tab)), std::nullopt};
        if (tab != std::string_view::npos) {
            // LastModified as the XML parser gives it: what parse_iso8601 reads, nothing else.
            if (const auto t = mps3::s3::detail::parse_iso8601(line.substr(tab + 1))) {
                o.last_modified = to_timestamp(*t);
            }
        }
        distinct.insert(o.key);
        listing.push_back(std::move(o));
    }

    const resolve_plan plan = plan_resolve(manifest, listing, unreadable);
    check_plan(manifest, listing, unreadable, plan);

    // Order-free, when no key is listed twice (then which LastModified counts is unspecified).
    if (distinct.size() == listing.size()) {
        std::vector<listed_object> reversed(listing.rbegin(), listing.rend());
        FUZZ_CHECK(same_plan(plan_resolve(manifest, reversed, unreadable), plan));
    }

    if (plan.latest) {
        // Its body unreadable: the next valid entry (older) becomes latest, or none.
        unreadable.push_back(plan.latest->key);
        const resolve_plan without = plan_resolve(manifest, listing, unreadable);
        check_plan(manifest, listing, unreadable, without);
        FUZZ_CHECK(!without.latest || newer_than(*plan.latest, *without.latest));

        // Each replayed body sets "ref" to its own key: the state holds the last one's.
        std::vector<entry_body> bodies(plan.replay.size());
        std::vector<const entry_body*> pointers;
        for (std::size_t i = 0; i < bodies.size(); ++i) {
            bodies[i].files["old"] = file_state{"0", std::nullopt};
            bodies[i].update["ref"] = file_state{plan.replay[i].key, std::nullopt};
            pointers.push_back(&bodies[i]);
        }
        const manifest_state state = resolve(&bodies.back(), pointers);
        FUZZ_CHECK(state.size() == 2 && state.at("ref").version == plan.latest->key);
    }
    FUZZ_CHECK(resolve(nullptr, {}).empty());
    return 0;
}
