// Three stores on one bucket, each on a machine with a skewed clock (-2 s, 0, +2 s), writing at
// the same time:
//   - "multi-writer": after quiescence the three replicas and an independent reader
//     (spec_reader.hpp) hold the same state, that state is what the bucket's entry log gives
//     when every entry is applied in entry order, and the log holds every acknowledged write of
//     every store, in its order (or coalesced under a later write of the same store in the same
//     entry), with no put_all split;
//   - "causal": a randomized history checked by the happens-before checker
//     (causal_checker.hpp): every write carries what its store had observed, every notification
//     and read of every store is checked against causal order.
//   - a lost response: a fault-injecting proxy loses the response to a store's entry PUT after
//     the bucket stored it; another store sees that write and overwrites it; the first store must
//     not re-apply its write over the later one when the network comes back.
// Seeds are printed; MPS3_MULTI_WRITER_SEED and MPS3_CAUSAL_SEED replay a run's operations (the
// interleaving with the sync loops depends on timing).
#include <doctest/doctest.h>

#include "async_test.hpp"
#include "causal_checker.hpp"
#include "engine_fixture.hpp"
#include "json/document.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_body.hpp"
#include "protocol/entry_key.hpp"
#include "protocol/object_encoding.hpp"
#include "protocol/resolver.hpp"
#include "spec_reader.hpp"

#include <mps3/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

namespace {

using namespace mps3;
using mps3::test::eventually;
using mps3::test::run_async;
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

constexpr std::array<milliseconds, 3> skews{milliseconds(-2000), milliseconds(0),
                                            milliseconds(2000)};

std::uint64_t seed_from_env(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') {
        return fallback;
    }
    return std::strtoull(text, nullptr, 0);
}

long long ms_since(clock_type::time_point start) {
    return std::chrono::duration_cast<milliseconds>(clock_type::now() - start).count();
}

std::unique_ptr<store> open_store(asio::any_io_executor ex, store_config config) {
    auto opened = store::open(ex, std::move(config));
    REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.err().describe()));
    return std::move(*opened);
}

using state_map = std::map<std::string, std::string>;

state_map whole_state(store& s) {
    state_map out;
    std::string after;
    do {
        auto page = s.list("", 1000, after);
        REQUIRE_MESSAGE(page.has_value(), (page ? "" : page.err().describe()));
        for (auto& e : page->entries) {
            out.emplace(std::move(e.key), std::move(e.value));
        }
        after = page->next_after;
    } while (!after.empty());
    return out;
}

std::string show_diff(const state_map& a, const state_map& b) {
    std::ostringstream out;
    std::set<std::string> keys;
    for (const auto& [k, v] : a) {
        keys.insert(k);
    }
    for (const auto& [k, v] : b) {
        keys.insert(k);
    }
    for (const auto& k : keys) {
        auto x = a.find(k);
        auto y = b.find(k);
        const std::string l = x == a.end() ? "<absent>" : x->second;
        const std::string r = y == b.end() ? "<absent>" : y->second;
        if (l != r) {
            out << "\n    " << k << ": " << l << " vs " << r;
        }
    }
    return out.str();
}

/// Flushes every store, then waits until every replica holds the same state with nothing
/// queued. Returns the time that took, or -1 on timeout.
asio::awaitable<long long> quiesce(std::vector<std::unique_ptr<store>>& stores,
                                   milliseconds timeout) {
    const auto start = clock_type::now();
    for (auto& s : stores) {
        auto flushed = co_await s->async_flush(timeout);
        REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
    }
    const bool same = co_await eventually(
        [&] {
            const auto first = whole_state(*stores.front());
            for (auto& s : stores) {
                if (s->get_status().queued_writes != 0 || whole_state(*s) != first) {
                    return false;
                }
            }
            return true;
        },
        timeout);
    co_return same ? ms_since(start) : -1;
}

// --- multi-writer ---------------------------------------------------------------------------

using batch = std::vector<write_op>;

/// One store's writer: `count` writes (puts, deletes, put_alls) on the shared keys, with short
/// random pauses. Every acknowledged write is appended to `done`, in order.
asio::awaitable<void> run_writer(store& s, std::size_t id, std::uint64_t seed,
                                 const std::vector<std::string>& keys, int count,
                                 std::vector<batch>& done) {
    std::mt19937_64 rng(seed);
    auto ex = co_await asio::this_coro::executor;
    int serial = 0;
    const auto value = [&] {
        return "\"w" + std::to_string(id) + "-" + std::to_string(serial++) + "\"";
    };
    for (int n = 0; n < count; ++n) {
        const auto roll = rng() % 100;
        batch ops;
        if (roll < 60) {
            ops.emplace_back(keys[rng() % keys.size()], value());
        } else if (roll < 80) {
            ops.emplace_back(keys[rng() % keys.size()], std::nullopt);
        } else {
            std::set<std::string> chosen;
            const auto size = 2 + rng() % 3;
            while (chosen.size() < size) {
                chosen.insert(keys[rng() % keys.size()]);
            }
            for (const auto& k : chosen) {
                if (rng() % 5 == 0) {
                    ops.emplace_back(k, std::nullopt);
                } else {
                    ops.emplace_back(k, value());
                }
            }
        }
        auto written = ops.size() > 1      ? s.put_all(ops)
                       : ops.front().value ? s.put(ops.front().key, *ops.front().value)
                                           : s.del(ops.front().key);
        REQUIRE_MESSAGE(written.has_value(), (written ? "" : written.err().describe()));
        done.push_back(std::move(ops));
        asio::steady_timer pause(ex, milliseconds(rng() % 100));
        co_await pause.async_wait(asio::use_awaitable);
    }
}

/// One valid manifest entry, as read back from the bucket.
struct logged_entry {
    std::string key;
    std::string session;
    std::map<std::string, std::optional<std::string>> update;  // store key -> compact JSON
};

struct bucket_log {
    std::vector<logged_entry> entries;  // valid entries, oldest first
    std::size_t invalid = 0;
};

/// Lists every entry of the manifest (the stores run without garbage collection, so the log is
/// whole), reads the valid ones and the content their updates name.
asio::awaitable<bucket_log> read_log(asio::any_io_executor ex, const std::string& bucket,
                                     const std::string& manifest) {
    s3::client client(ex, test::shared_server().client_config());
    s3::list_options listing;
    listing.prefix = protocol::entry_prefix(manifest);
    auto listed = co_await client.async_list_all(bucket, listing);
    REQUIRE_MESSAGE(listed.has_value(), (listed ? "" : listed.err().describe()));
    std::vector<protocol::listed_object> objects;
    for (const auto& o : listed->objects) {
        std::optional<protocol::timestamp> modified;
        if (o.last_modified_time) {
            modified = protocol::to_timestamp(*o.last_modified_time);
        }
        objects.push_back({o.key, modified});
    }
    const auto plan = protocol::plan_resolve(manifest, objects);
    bucket_log log;
    for (auto e = plan.entries.rbegin(); e != plan.entries.rend(); ++e) {
        if (e->status != protocol::entry_status::valid) {
            ++log.invalid;
            continue;
        }
        auto got = co_await client.async_get_object(bucket, e->key.key);
        REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.err().describe()));
        // mps3d compresses its entries by default (docs/bucket-format.md).
        auto text = protocol::decoded_object_body(std::move(got->body), got->content_encoding);
        REQUIRE_MESSAGE(text.has_value(), (text ? "" : text.err().describe()));
        auto body = protocol::parse_entry_body(*text);
        REQUIRE_MESSAGE(body.has_value(), (body ? "" : body.err().describe()));
        logged_entry entry{.key = e->key.key, .session = e->key.session, .update = {}};
        for (const auto& [ref, file] : body->update) {
            const auto slash = ref.find('/');
            REQUIRE(slash != std::string::npos);
            REQUIRE(ref.substr(0, slash) == bucket);
            const std::string key = ref.substr(slash + 1);
            if (!file) {
                entry.update.emplace(key, std::nullopt);
                continue;
            }
            const std::string object = protocol::content_object_key(key, file->version);
            auto content = co_await client.async_get_object(bucket, object);
            REQUIRE_MESSAGE(content.has_value(), (content ? "" : content.err().describe()));
            auto doc = json::parse(content->body);
            REQUIRE(doc.has_value());
            auto compact = json::serialize(*doc);
            REQUIRE(compact.has_value());
            entry.update.emplace(key, *compact);
        }
        log.entries.push_back(std::move(entry));
    }
    co_return log;
}

using op_map = std::map<std::string, std::optional<std::string>>;

/// Whether the entries of one store are, in entry order, its acknowledged batches coalesced in
/// order: each entry's update is the net effect of a run of consecutive whole batches, the runs
/// cover every batch, and only a re-upload (the previous run again, possibly extended, after an
/// attempt the store could not confirm) may repeat batches. A search, because a run can be
/// ambiguous (deleting a key the run already deleted changes nothing).
class coverage_search {
  public:
    coverage_search(const std::vector<batch>& batches,
                    const std::vector<const logged_entry*>& entries)
        : batches_(batches), entries_(entries) {}

    bool run() { return go(0, 0, 0, 0); }
    [[nodiscard]] std::size_t reuploads() const { return reuploads_; }

    /// Where the search got stuck, when run() failed.
    [[nodiscard]] std::string problem(std::size_t id) const {
        std::ostringstream out;
        out << "store " << id << ": ";
        if (deepest_entry_ == entries_.size()) {
            out << "acknowledged batches " << deepest_next_ << ".." << batches_.size() - 1
                << " are in no entry; first:";
            for (const auto& [k, v] : batches_[deepest_next_]) {
                out << " " << k << "=" << v.value_or("<delete>");
            }
        } else {
            const auto* entry = entries_[deepest_entry_];
            out << "entry " << deepest_entry_ << " (" << entry->key
                << ") is no in-order run of the store's batches from batch " << deepest_next_
                << ":";
            for (const auto& [k, v] : entry->update) {
                out << " " << k << "=" << v.value_or("<delete>");
            }
        }
        return out.str();
    }

  private:
    bool go(std::size_t e, std::size_t next, std::size_t last_start, std::size_t reuploads) {
        if (e > deepest_entry_ || (e == deepest_entry_ && next > deepest_next_)) {
            deepest_entry_ = e;
            deepest_next_ = next;
        }
        if (e == entries_.size()) {
            if (next == batches_.size()) {
                reuploads_ = reuploads;
                return true;
            }
            return false;
        }
        if (!failed_.emplace(e, next, last_start).second) {
            return false;
        }
        const auto& update = entries_[e]->update;
        std::vector<std::size_t> starts{next};
        if (last_start < next) {
            starts.push_back(last_start);  // a re-upload of the previous run
        }
        for (const std::size_t start : starts) {
            op_map net;
            for (std::size_t j = start; j < batches_.size(); ++j) {
                for (const auto& [k, v] : batches_[j]) {
                    net[k] = v;
                }
                const bool outside = std::any_of(net.begin(), net.end(), [&](const auto& kv) {
                    return !update.contains(kv.first);
                });
                if (outside) {
                    break;
                }
                if (net == update &&
                    go(e + 1, std::max(next, j + 1), start, reuploads + (start != next ? 1 : 0))) {
                    return true;
                }
            }
        }
        return false;
    }

    const std::vector<batch>& batches_;
    const std::vector<const logged_entry*>& entries_;
    std::set<std::tuple<std::size_t, std::size_t, std::size_t>> failed_;
    std::size_t deepest_entry_ = 0;
    std::size_t deepest_next_ = 0;
    std::size_t reuploads_ = 0;
};

}  // namespace

TEST_CASE("multi-writer: three skewed stores writing at once converge on the bucket's log") {
    const std::uint64_t seed = seed_from_env("MPS3_MULTI_WRITER_SEED", 20251123);
    constexpr int writes_per_store = 60;
    MESSAGE("multi-writer seed " << seed << " (MPS3_MULTI_WRITER_SEED), " << writes_per_store
                                 << " writes per store, clock skews -2 s / 0 / +2 s");
    test::engine_fixture f("multiwriter");
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            std::vector<std::unique_ptr<store>> stores;
            for (std::size_t i = 0; i < skews.size(); ++i) {
                auto config = f.config(milliseconds(100));
                config.local_clock_skew = skews[i];
                config.collect_garbage = false;  // keep the whole log for the checks below
                stores.push_back(open_store(ex, config));
            }
            std::vector<std::string> keys;
            for (int i = 0; i < 10; ++i) {
                keys.push_back("m/k" + std::to_string(i));
            }
            std::array<std::vector<batch>, 3> done;
            const auto started = clock_type::now();
            co_await (run_writer(*stores[0], 0, seed * 3 + 0, keys, writes_per_store, done[0]) &&
                      run_writer(*stores[1], 1, seed * 3 + 1, keys, writes_per_store, done[1]) &&
                      run_writer(*stores[2], 2, seed * 3 + 2, keys, writes_per_store, done[2]));
            const auto writing_ms = ms_since(started);
            const auto quiet_ms = co_await quiesce(stores, milliseconds(60000));
            std::vector<state_map> finals;
            for (auto& s : stores) {
                finals.push_back(whole_state(*s));
            }
            CHECK_MESSAGE(quiet_ms >= 0,
                          "replicas still differ after 60 s:" << show_diff(finals[0], finals[1])
                                                              << show_diff(finals[0], finals[2]));
            std::uint64_t entries_written = 0;
            for (auto& s : stores) {
                const auto st = s->get_status();
                entries_written += st.entries_written;
                MESSAGE("store clock offset " << st.clock_offset.count() << " ms, "
                                              << st.entries_written << " entries written");
            }
            MESSAGE("multi-writer: " << 3 * writes_per_store << " acknowledged writes in "
                                     << writing_ms << " ms, " << entries_written
                                     << " entries; flush + quiescence " << quiet_ms << " ms");

            // The independent reader (written from the spec alone) sees the same state.
            s3::client client(ex, test::shared_server().client_config());
            test::spec::read_options read_opts;
            auto independent =
                co_await test::spec::read_bucket(client, f.bucket, "manifest.json", read_opts);
            REQUIRE_MESSAGE(independent.has_value(),
                            (independent ? "" : independent.err().describe()));
            const state_map spec_state(independent->values.begin(), independent->values.end());
            CHECK_MESSAGE(spec_state == finals[0],
                          "independent reader vs store 0:" << show_diff(spec_state, finals[0]));
            CHECK(finals[1] == finals[0]);
            CHECK(finals[2] == finals[0]);

            // The whole log, applied in entry order, gives that state: no write was lost.
            const auto log = co_await read_log(ex, f.bucket, "manifest.json");
            state_map folded;
            for (const auto& e : log.entries) {
                for (const auto& [k, v] : e.update) {
                    if (v) {
                        folded[k] = *v;
                    } else {
                        folded.erase(k);
                    }
                }
            }
            CHECK_MESSAGE(folded == finals[0],
                          "log folded in entry order vs replicas:" << show_diff(folded, finals[0]));
            CHECK_MESSAGE(log.invalid == 0, log.invalid << " entries are invalid for readers");

            // Which store wrote each entry: by the values it carries, then by session.
            std::map<std::string, std::size_t> owner_of_value;
            for (std::size_t i = 0; i < done.size(); ++i) {
                for (const auto& b : done[i]) {
                    for (const auto& [k, v] : b) {
                        if (v) {
                            owner_of_value.emplace(*v, i);
                        }
                    }
                }
            }
            std::map<std::string, std::set<std::size_t>> owners_of_session;
            for (const auto& e : log.entries) {
                for (const auto& [k, v] : e.update) {
                    if (!v) {
                        continue;
                    }
                    auto owner = owner_of_value.find(*v);
                    REQUIRE_MESSAGE(owner != owner_of_value.end(),
                                    "entry " << e.key << " holds " << k << "=" << *v
                                             << ", which no store wrote");
                    owners_of_session[e.session].insert(owner->second);
                }
            }
            std::array<std::vector<const logged_entry*>, 3> by_store;
            std::set<std::size_t> unattributable;  // stores whose 3-hex-digit sessions collided
            for (const auto& e : log.entries) {
                std::set<std::size_t> owners;
                for (const auto& [k, v] : e.update) {
                    if (v) {
                        owners.insert(owner_of_value.at(*v));
                    }
                }
                REQUIRE_MESSAGE(owners.size() <= 1, "entry " << e.key << " holds values of "
                                                             << owners.size() << " stores");
                if (owners.empty()) {
                    owners = owners_of_session[e.session];  // an entry of deletes only
                    REQUIRE_MESSAGE(!owners.empty(), "no store wrote in session " << e.session);
                    if (owners.size() > 1) {
                        unattributable.insert(owners.begin(), owners.end());
                        continue;
                    }
                }
                by_store[*owners.begin()].push_back(&e);
            }
            std::size_t reuploads = 0;
            for (std::size_t i = 0; i < done.size(); ++i) {
                if (unattributable.contains(i)) {
                    MESSAGE("store " << i
                                     << " shares its session id with another store (1 run in "
                                        "~1,400): its log coverage is not checked this time");
                    continue;
                }
                coverage_search search(done[i], by_store[i]);
                const bool covered = search.run();
                CHECK_MESSAGE(covered, search.problem(i));
                reuploads += search.reuploads();
            }
            MESSAGE("bucket log: " << log.entries.size() << " valid entries (" << by_store[0].size()
                                   << " / " << by_store[1].size() << " / " << by_store[2].size()
                                   << "), " << reuploads << " re-uploaded runs, "
                                   << finals[0].size() << " keys in the final state");
            for (auto& s : stores) {
                co_await s->async_close();
            }
            co_return 0;
        },
        std::chrono::seconds(240));
}

// --- causal -----------------------------------------------------------------------------------

namespace {

/// Shared with the subscription handlers and the view checks they post, which may run after the
/// test coroutine is gone.
struct observer {
    explicit observer(std::size_t processes) : checker(processes) {}
    test::causal::checker checker;
    std::array<bool, 3> check_posted{};
    std::size_t notifications = 0;
    std::size_t view_checks = 0;
};

std::vector<test::causal::item> snapshot(store& s, const std::vector<std::string>& keys) {
    auto got = s.get_all(keys);
    REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.err().describe()));
    std::vector<test::causal::item> out;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        out.push_back({keys[i], (*got)[i]});
    }
    return out;
}

}  // namespace

TEST_CASE("causal: a randomized history of three skewed stores respects happens-before") {
    const std::uint64_t seed = seed_from_env("MPS3_CAUSAL_SEED", 1836085043);
    constexpr int steps = 800;
    MESSAGE("causal seed " << seed << " (MPS3_CAUSAL_SEED), " << steps
                           << " steps, clock skews -2 s / 0 / +2 s");
    test::engine_fixture f("causal");
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            auto obs = std::make_shared<observer>(skews.size());
            std::vector<std::unique_ptr<store>> stores;
            std::vector<subscription> subscriptions;
            for (std::size_t p = 0; p < skews.size(); ++p) {
                auto config = f.config(milliseconds(100));
                config.local_clock_skew = skews[p];
                stores.push_back(open_store(ex, config));
                // Every change from the empty start. A burst of notifications (one replica
                // transaction) ends before the posted view check runs.
                subscriptions.push_back(
                    stores[p]->subscribe_prefix("", [obs, p, ex](const change_event& e) {
                        ++obs->notifications;
                        obs->checker.notified(p, e.key, e.new_value);
                        if (!obs->check_posted[p]) {
                            obs->check_posted[p] = true;
                            asio::post(ex, [obs, p] {
                                obs->check_posted[p] = false;
                                ++obs->view_checks;
                                obs->checker.check_view(p);
                            });
                        }
                    }));
            }
            std::vector<std::string> keys;
            for (int i = 0; i < 8; ++i) {
                keys.push_back("c/k" + std::to_string(i));
            }
            auto& checker = obs->checker;
            std::mt19937_64 rng(seed);
            std::size_t puts = 0, deletes = 0, batches = 0, reads = 0, offline_periods = 0;
            std::array<std::optional<clock_type::time_point>, 3> offline_until{};
            int serial = 0;
            const auto value = [&](std::size_t p) {
                return "\"s" + std::to_string(p) + "-" + std::to_string(serial++) + "\"";
            };
            const auto started = clock_type::now();
            for (int step = 0; step < steps; ++step) {
                for (std::size_t q = 0; q < stores.size(); ++q) {
                    if (offline_until[q] && clock_type::now() >= *offline_until[q]) {
                        stores[q]->set_online(true);
                        offline_until[q].reset();
                    }
                }
                const std::size_t p = rng() % stores.size();
                auto& s = *stores[p];
                const auto roll = rng() % 100;
                const auto offline_for = milliseconds(200 + rng() % 600);
                if (roll < 3 && !offline_until[p]) {
                    // A store drops off the network for a while (requests in flight are
                    // cancelled); its writes queue and are stamped when it comes back.
                    s.set_online(false);
                    offline_until[p] = clock_type::now() + offline_for;
                    ++offline_periods;
                } else if (roll < 45) {
                    const auto& key = keys[rng() % keys.size()];
                    const auto v = value(p);
                    checker.write(p, key, v, checker.knowledge(p));
                    auto done = s.put(key, v);
                    REQUIRE_MESSAGE(done.has_value(), (done ? "" : done.err().describe()));
                    ++puts;
                } else if (roll < 55) {
                    const auto& key = keys[rng() % keys.size()];
                    checker.write(p, key, std::nullopt, checker.knowledge(p));
                    auto done = s.del(key);
                    REQUIRE_MESSAGE(done.has_value(), (done ? "" : done.err().describe()));
                    ++deletes;
                } else if (roll < 65) {
                    std::set<std::string> chosen;
                    while (chosen.size() < 3) {
                        chosen.insert(keys[rng() % keys.size()]);
                    }
                    std::vector<test::causal::item> items;
                    std::vector<write_op> ops;
                    for (const auto& k : chosen) {
                        std::optional<std::string> v;
                        if (rng() % 4 != 0) {
                            v = value(p);
                        }
                        items.push_back({k, v});
                        ops.emplace_back(k, v);
                    }
                    checker.write_all(p, items, checker.knowledge(p));
                    auto done = s.put_all(ops);
                    REQUIRE_MESSAGE(done.has_value(), (done ? "" : done.err().describe()));
                    ++batches;
                } else {
                    checker.read(p, snapshot(s, keys));
                    ++reads;
                }
                for (std::size_t q = 0; q < stores.size(); ++q) {
                    checker.check_view(q);  // between steps no notification burst is under way
                }
                asio::steady_timer pause(ex, milliseconds(rng() % 25));
                co_await pause.async_wait(asio::use_awaitable);
            }
            const auto run_ms = ms_since(started);
            for (auto& s : stores) {
                s->set_online(true);
            }
            const auto quiet_ms = co_await quiesce(stores, milliseconds(60000));
            CHECK_MESSAGE(quiet_ms >= 0, "replicas still differ after 60 s");
            for (std::size_t p = 0; p < stores.size(); ++p) {
                checker.read(p, snapshot(*stores[p], keys));
                checker.check_view(p);
            }
            checker.finish();
            std::uint64_t entries = 0;
            for (auto& s : stores) {
                entries += s->get_status().entries_written;
            }
            MESSAGE("causal: " << steps << " steps in " << run_ms << " ms: " << checker.writes()
                               << " writes (" << puts << " puts, " << deletes << " deletes, "
                               << batches << " put_alls of 3), " << reads << " reads, "
                               << offline_periods << " offline periods, " << obs->notifications
                               << " notifications, " << checker.observations() << " observations, "
                               << obs->view_checks << " burst view checks, " << entries
                               << " entries; flush + quiescence " << quiet_ms << " ms");
            CHECK_MESSAGE(checker.violations().empty(), checker.report(30));
            subscriptions.clear();
            for (auto& s : stores) {
                co_await s->async_close();
            }
            co_return 0;
        },
        std::chrono::seconds(240));
}

// --- a lost response ------------------------------------------------------------------------

namespace {

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// A forwarding HTTP proxy in front of the test server that can lose the response of one
/// request after the server has acted on it, and then partition its client from the server
/// (every request dropped) until healed: a network failure at the worst moment, on demand.
struct cutting_proxy {
    explicit cutting_proxy(asio::any_io_executor ex, tcp::endpoint to)
        : acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), upstream(to) {}
    tcp::acceptor acceptor;
    tcp::endpoint upstream;
    std::string cut_after;  // a PUT whose target holds this: response lost, then partitioned
    bool partitioned = false;
    std::size_t forwarded = 0;
    std::size_t refused = 0;
    std::set<tcp::socket*> live;

    void close_all() {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        for (auto* s : live) {
            s->close(ignored);
        }
    }
};

asio::awaitable<void> proxy_connection(std::shared_ptr<cutting_proxy> proxy, tcp::socket client) {
    tcp::socket server(client.get_executor());
    proxy->live.insert(&client);
    proxy->live.insert(&server);
    struct unregister {
        cutting_proxy& p;
        tcp::socket* a;
        tcp::socket* b;
        ~unregister() {
            p.live.erase(a);
            p.live.erase(b);
        }
    } guard{*proxy, &client, &server};
    boost::system::error_code ec;
    co_await server.async_connect(proxy->upstream, asio::redirect_error(asio::use_awaitable, ec));
    boost::beast::flat_buffer from_client;
    boost::beast::flat_buffer from_server;
    while (!ec) {
        http::request_parser<http::string_body> request;
        request.body_limit(std::uint64_t{1} << 30);
        co_await http::async_read(client, from_client, request,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec || proxy->partitioned) {
            ++proxy->refused;
            break;
        }
        auto req = request.release();
        co_await http::async_write(server, req, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            break;
        }
        http::response_parser<http::string_body> response;
        response.body_limit(std::uint64_t{1} << 30);
        response.skip(req.method() == http::verb::head);
        co_await http::async_read(server, from_server, response,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            break;
        }
        const std::string_view target(req.target().data(), req.target().size());
        if (!proxy->cut_after.empty() && req.method() == http::verb::put &&
            target.find(proxy->cut_after) != std::string_view::npos) {
            proxy->cut_after.clear();
            proxy->partitioned = true;  // the server stored it; the client never hears of it
            break;
        }
        if (proxy->partitioned) {
            break;
        }
        auto res = response.release();
        ++proxy->forwarded;
        co_await http::async_write(client, res, asio::redirect_error(asio::use_awaitable, ec));
        if (!res.keep_alive()) {
            break;
        }
    }
}

asio::awaitable<void> proxy_accept(std::shared_ptr<cutting_proxy> proxy) {
    for (;;) {
        tcp::socket socket(proxy->acceptor.get_executor());
        boost::system::error_code ec;
        co_await proxy->acceptor.async_accept(socket,
                                              asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return;  // closed
        }
        if (proxy->partitioned) {
            ++proxy->refused;
            continue;  // closed at once
        }
        asio::co_spawn(proxy->acceptor.get_executor(), proxy_connection(proxy, std::move(socket)),
                       asio::detached);
    }
}

}  // namespace

TEST_CASE(
    "causal: a write whose entry landed but whose response was lost is not re-applied "
    "over a later write that saw it") {
    // P writes k=a; the entry PUT reaches the bucket but its response is lost and P is cut off.
    // Q sees k=a, then writes k=q (q depends on a) and flushes. When P comes back it must not
    // upload its batch again as a new, newer entry: that would put a back over q, a write
    // that causally follows it (Q would see q -> a; Q's acknowledged write would be lost).
    test::engine_fixture f("lostresponse");
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            const auto direct = f.config(milliseconds(100));
            const tcp::endpoint upstream(asio::ip::make_address(direct.s3.server.host),
                                         direct.s3.server.port);
            auto proxy = std::make_shared<cutting_proxy>(ex, upstream);
            asio::co_spawn(ex, proxy_accept(proxy), asio::detached);

            auto via_proxy = f.config(milliseconds(100));
            via_proxy.s3.server.host = "127.0.0.1";
            via_proxy.s3.server.port = proxy->acceptor.local_endpoint().port();
            auto p = open_store(ex, via_proxy);
            auto q = open_store(ex, direct);
            test::causal::checker checker(2);
            std::vector<std::string> seen_by_q;
            auto sub = q->subscribe_prefix("", [&](const change_event& e) {
                checker.notified(1, e.key, e.new_value);
                seen_by_q.push_back(e.new_value.value_or("<absent>"));
            });

            proxy->cut_after = "manifest.json%40";
            checker.write(0, "k", std::string("\"a\""), checker.knowledge(0));
            REQUIRE(p->put("k", "\"a\"").has_value());
            const bool cut =
                co_await eventually([&] { return proxy->partitioned; }, milliseconds(10000));
            REQUIRE_MESSAGE(cut, "P's entry PUT never went through the proxy");
            const bool q_saw_a = co_await eventually(
                [&] { return test::value_of(*q, "k") == "\"a\""; }, milliseconds(10000));
            REQUIRE_MESSAGE(q_saw_a, "Q never saw P's entry");
            checker.write(1, "k", std::string("\"q\""), checker.knowledge(1));
            REQUIRE(q->put("k", "\"q\"").has_value());
            auto q_flushed = co_await q->async_flush(milliseconds(10000));
            REQUIRE_MESSAGE(q_flushed.has_value(), (q_flushed ? "" : q_flushed.err().describe()));
            MESSAGE("P cut off after its entry PUT; Q saw a and wrote q; "
                    << proxy->refused << " requests of P refused");

            // The network stays down longer than the S3 client's own retries of that PUT (the
            // test config allows 5 attempts with backoffs capped at 1 s): the store itself sees
            // the upload fail. (A retry that gets through instead meets an existing key: RGW
            // answers 412 to If-None-Match, s3rver overwrites it.)
            asio::steady_timer outage(ex, milliseconds(2500));
            co_await outage.async_wait(asio::use_awaitable);
            proxy->partitioned = false;  // the network comes back
            auto p_flushed = co_await p->async_flush(milliseconds(60000));
            REQUIRE_MESSAGE(p_flushed.has_value(), (p_flushed ? "" : p_flushed.err().describe()));
            const bool same = co_await eventually(
                [&] { return test::value_of(*p, "k") == test::value_of(*q, "k"); },
                milliseconds(10000));
            CHECK(same);
            std::string history;
            for (const auto& v : seen_by_q) {
                history += " " + v;
            }
            MESSAGE("Q saw k:" << history << "; P has " << test::value_of(*p, "k") << ", "
                               << p->get_status().entries_written << " entries written by P");
            CHECK_MESSAGE(test::value_of(*q, "k") == "\"q\"",
                          "Q's write q (made after seeing a) was overridden by P's a");
            checker.read(1, {{"k", *q->get("k")}});
            checker.finish();
            CHECK_MESSAGE(checker.violations().empty(), checker.report());
            sub.reset();
            co_await p->async_close();
            co_await q->async_close();
            p.reset();
            proxy->close_all();
            co_return 0;
        },
        std::chrono::seconds(120));
}
