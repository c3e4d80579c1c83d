// Compatibility with the MPS3 bucket format (../shared/BUCKET_FORMAT.md), checked by an
// independent reader written from the format alone (tests/support/spec_reader.hpp):
//   - a bucket written exactly as the MPS3 0.0.81 JavaScript client writes it is read right,
//   - every entry mps3d writes satisfies sections 3-5 and 7,
//   - an MPS3-style writer and mps3d interleave, deletes included,
//   - garbage in the bucket never breaks a store,
//   - a listing longer than one page is followed.
#include <doctest/doctest.h>

#include "async_test.hpp"
#include "engine_fixture.hpp"
#include "spec_reader.hpp"

#include <mps3/store.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <random>
#include <sstream>

namespace {

using namespace mps3;
using mps3::test::eventually;
using mps3::test::run_async;
using mps3::test::value_of;
namespace asio = boost::asio;
namespace spec = mps3::test::spec;
using std::chrono::milliseconds;
using kv = std::map<std::string, std::string>;
// A member of a "files" object: ref -> file JSON, or nullopt for null.
using members = std::vector<std::pair<std::string, std::optional<std::string>>>;

const std::string& manifest() {
    static const std::string name = "manifest.json";
    return name;
}

std::unique_ptr<store> open_store(asio::any_io_executor ex, store_config config) {
    auto opened = store::open(std::move(ex), std::move(config));
    REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.err().describe()));
    return std::move(*opened);
}

std::uint64_t fresh_seed() {
    return (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
}

// A lower-case random (v4) UUID, as MPS3 uses for versions.
std::string uuid(std::mt19937_64& rng) {
    static constexpr std::string_view hex = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 32; ++i) {
        auto nibble = static_cast<std::size_t>(rng() % 16);
        if (i == 12) {
            nibble = 4;
        } else if (i == 16) {
            nibble = 8 + nibble % 4;
        }
        if (i == 8 || i == 12 || i == 16 || i == 20) {
            out += '-';
        }
        out += hex[nibble];
    }
    return out;
}

// What a store holds, every key.
kv state_of(store& s) {
    kv out;
    std::string after;
    while (true) {
        auto page = s.list("", 1000, after);
        REQUIRE_MESSAGE(page.has_value(), (page ? "" : page.err().describe()));
        for (auto& e : page->entries) {
            out.emplace(std::move(e.key), std::move(e.value));
        }
        if (page->next_after.empty()) {
            return out;
        }
        after = page->next_after;
    }
}

std::string shorten(const std::string& s) {
    return s.size() <= 60 ? s : s.substr(0, 57) + "...";
}

// "key: a | b" for every key on which two states differ.
std::string diff(const kv& a, const kv& b) {
    std::ostringstream out;
    std::set<std::string> keys;
    for (const auto& [k, v] : a) {
        keys.insert(k);
    }
    for (const auto& [k, v] : b) {
        keys.insert(k);
    }
    for (const auto& k : keys) {
        const auto x = a.find(k);
        const auto y = b.find(k);
        const std::string xs = x == a.end() ? "<absent>" : shorten(x->second);
        const std::string ys = y == b.end() ? "<absent>" : shorten(y->second);
        if (xs != ys || (x == a.end()) != (y == b.end()) ||
            (x != a.end() && y != b.end() && x->second != y->second)) {
            out << "\n  " << k << ": " << xs << " | " << ys;
        }
    }
    return out.str();
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) {
        out += "\n  " + line;
    }
    return out;
}

asio::awaitable<s3::put_result> put_object(s3::client& c, const std::string& bucket,
                                           const std::string& key, const std::string& body) {
    s3::put_options options;
    options.content_type = "application/json";
    auto put = co_await c.async_put_object(bucket, key, body, options);
    REQUIRE_MESSAGE(put.has_value(), "PUT " << key << ": " << (put ? "" : put.err().describe()));
    co_return std::move(*put);
}

asio::awaitable<bool> exists(s3::client& c, const std::string& bucket, const std::string& key) {
    auto head = co_await c.async_head_object(bucket, key);
    if (!head) {
        REQUIRE_MESSAGE(head.err().code == make_error_code(errc::not_found),
                        "HEAD " << key << ": " << head.err().describe());
        co_return false;
    }
    co_return true;
}

asio::awaitable<spec::bucket_state> read_spec(s3::client& c, const std::string& bucket,
                                              const std::string& manifest_key,
                                              unsigned page_size = 0) {
    spec::read_options options;
    options.page_size = page_size;
    auto state = co_await spec::read_bucket(c, bucket, manifest_key, options);
    REQUIRE_MESSAGE(state.has_value(), (state ? "" : state.err().describe()));
    co_return std::move(*state);
}

asio::awaitable<spec::check_report> check(s3::client& c, const std::string& bucket,
                                          spec::check_options options) {
    auto report = co_await spec::check_entries(c, bucket, manifest(), options);
    REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.err().describe()));
    co_return std::move(*report);
}

asio::awaitable<void> sleep_for(milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(asio::use_awaitable);
}

/// Two full sync rounds of s completed after the call: the second one started after it, so it
/// saw everything written before.
asio::awaitable<bool> synced_twice(store& s) {
    for (int round = 0; round < 2; ++round) {
        const auto since = std::chrono::system_clock::now();
        const bool ok = co_await eventually(
            [&] {
                const auto st = s.get_status();
                return st.last_sync && *st.last_sync > since;
            },
            milliseconds(15000));
        if (!ok) {
            co_return false;
        }
    }
    co_return true;
}

// --- MPS3's way of writing (section 1, 2, 4, 7), pretty-printed like JSON.stringify(v, null, 2)

std::string file_json(const std::string& version) {
    return R"({"version":)" + spec::quote(version) + R"(,"replication":""})";
}

std::string object_of(const members& m) {
    std::string out = "{";
    for (const auto& [ref, value] : m) {
        if (out.size() > 1) {
            out += ',';
        }
        out += spec::quote(ref) + ":" + value.value_or("null");
    }
    return out + "}";
}

std::string entry_body(const std::string& files_object, const std::string& update_files_object) {
    const std::string compact =
        R"({"files":)" + files_object + R"(,"update":{"files":)" + update_files_object + "}}";
    auto body = spec::pretty(compact);
    REQUIRE_MESSAGE(body.has_value(), "fixture body is not JSON: " << compact);
    return *body;
}

/// A writer doing what MPS3 0.0.81 does, the simple way: content PUTs (fresh UUID versions,
/// pretty-printed), a fresh LIST + resolve (by the spec reader), the entry with the complete
/// state, validation against the Date header, the marker. Only the stamp follows section 7.1's
/// "+ 1 ms over the newest entry seen" (MPS3 reuses the newest ts), to keep tests deterministic.
class mps3_writer {
  public:
    mps3_writer(s3::client& c, std::string bucket, std::string session, std::uint64_t seed)
        : c_(c), bucket_(std::move(bucket)), session_(std::move(session)), rng_(seed) {}

    /// ops: key -> raw content body (pretty-printed when it is JSON) or nullopt for a delete.
    asio::awaitable<std::string> commit(members ops) {
        members update;
        for (const auto& [key, body] : ops) {
            const std::string ref = bucket_ + "/" + key;
            if (!body) {
                update.emplace_back(ref, std::nullopt);
                // MPS3 also sends a no-op DELETE of the bare key.
                auto deleted = co_await c_.async_delete_object(bucket_, key);
                (void)deleted;
                continue;
            }
            const std::string version = uuid(rng_);
            std::string object = key;
            object.append("@").append(version);
            const std::string text = spec::pretty(*body).value_or(*body);
            co_await put_object(c_, bucket_, object, text);
            update.emplace_back(ref, file_json(version));
        }
        const std::string update_object = object_of(update);
        for (int attempt = 0; attempt < 3; ++attempt) {
            auto state = co_await read_spec(c_, bucket_, manifest());
            newest_seen_ = std::max(newest_seen_, state.latest_ts.value_or(0));
            const std::int64_t t = std::max(spec::now_ms() + skew_ms_, newest_seen_ + 1);
            const std::string key = spec::entry_key(manifest(), t, session_, count_++);
            attempted_.push_back(key);
            const auto put =
                co_await put_object(c_, bucket_, key, entry_body(state.files_json, update_object));
            REQUIRE(put.meta.server_date.has_value());
            const auto date =
                std::chrono::duration_cast<milliseconds>(put.meta.server_date->time_since_epoch())
                    .count();
            // Section 7.5, as MPS3 does it.
            if (std::llabs(t - date) < 5000) {
                newest_seen_ = t;
                co_await put_object(c_, bucket_, manifest(), "\"\"");
                entries_.push_back(key);
                co_return key;
            }
        }
        FAIL("the MPS3-style writer could not write a valid entry: clock far from the server's");
        co_return std::string();
    }

    /// Added to the local clock when stamping: an MPS3 client whose clock runs fast.
    void set_skew(std::int64_t ms) { skew_ms_ = ms; }
    [[nodiscard]] const std::string& session() const { return session_; }
    [[nodiscard]] const std::vector<std::string>& entries() const { return entries_; }
    /// Every entry key PUT, the ones then found invalid (clock too far off) included.
    [[nodiscard]] const std::vector<std::string>& attempted() const { return attempted_; }

  private:
    s3::client& c_;
    std::string bucket_;
    std::string session_;
    std::mt19937_64 rng_;
    unsigned count_ = 0;
    std::int64_t newest_seen_ = 0;
    std::int64_t skew_ms_ = 0;
    std::vector<std::string> entries_;
    std::vector<std::string> attempted_;
};

/// Content for key with a fresh version, pretty-printed; returns the version.
asio::awaitable<std::string> put_content(s3::client& c, const std::string& bucket,
                                         std::mt19937_64& rng, const std::string& key,
                                         const std::string& json) {
    const std::string version = uuid(rng);
    const auto text = spec::pretty(json);
    REQUIRE_MESSAGE(text.has_value(), "fixture value is not JSON: " << json);
    co_await put_object(c, bucket, key + "@" + version, *text);
    co_return version;
}

}  // namespace

TEST_CASE("compat: a bucket written as MPS3 0.0.81 writes it is read as the format says") {
    test::engine_fixture f("compat-mps3");
    const std::uint64_t seed = fresh_seed();
    MESSAGE("seed " << seed);
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            s3::client c(ex, test::shared_server().client_config());
            std::mt19937_64 rng(seed);
            const std::string& b = f.bucket;
            auto ref = [&](const std::string& key) { return b + "/" + key; };
            const std::string dir_key = "dir/sub key \xc3\xa9";  // "é": content keys are any UTF-8
            const std::string other_ref = "some-other-bucket/x";
            const std::string other_file = file_json(uuid(rng));

            // Content objects, pretty-printed, one fresh UUID per key per write.
            const auto a0 =
                co_await put_content(c, b, rng, "alpha", R"({"n": 1, "tags": ["a", "b"]})");
            const auto z0 = co_await put_content(c, b, rng, "zombie", R"("zombie")");
            const auto b0 = co_await put_content(c, b, rng, "beta", R"("beta zero")");
            const auto g0 = co_await put_content(c, b, rng, "gone", R"({"gone": true})");
            const auto n0 = co_await put_content(c, b, rng, "nothing", "null");
            const auto d0 = co_await put_content(c, b, rng, dir_key, R"([1, 2, {"x": true}])");
            const auto b1 = co_await put_content(c, b, rng, "beta", R"("beta one")");
            const auto a1 = co_await put_content(c, b, rng, "alpha", R"({"n": 2, "tags": []})");
            const auto h0 = co_await put_content(c, b, rng, "alpha", R"("HIJACKED")");
            const auto o1 = co_await put_content(c, b, rng, "o1", R"({"other": true})");

            // E0: folded into E1's files long ago; "zombie" was deleted by an entry collected
            // since, so replaying E0 (outside the window) would wrongly resurrect it.
            const std::int64_t t0 = spec::now_ms();
            const std::string e0 = spec::entry_key(manifest(), t0, "a1c", 0);
            // (Bodies are built before the co_await: GCC 12 miscompiles braced lists in its
            // operand.)
            const members e0_update = {{ref("alpha"), file_json(a0)},
                                       {ref("zombie"), file_json(z0)}};
            const std::string e0_body = entry_body("{}", object_of(e0_update));
            co_await put_object(c, b, e0, e0_body);
            co_await put_object(c, b, manifest(), "\"\"");
            co_await sleep_for(milliseconds(5600));

            // E1..E3 within 5 s: E2 and E3 were written concurrently (E3 did not see E2), so
            // only replaying E1, E2 and E3 over E3's files gives the state.
            const members base = {{ref("alpha"), file_json(a0)}, {other_ref, other_file}};
            const members after_e1 = {{ref("alpha"), file_json(a0)},
                                      {ref("beta"), file_json(b0)},
                                      {ref("gone"), file_json(g0)},
                                      {ref("nothing"), file_json(n0)},
                                      {other_ref, other_file}};
            const std::int64_t t1 = std::max(spec::now_ms(), t0 + 5001);
            const std::string e1 = spec::entry_key(manifest(), t1, "a1c", 1);
            const members e1_update = {{ref("beta"), file_json(b0)},
                                       {ref("gone"), file_json(g0)},
                                       {ref("nothing"), file_json(n0)}};
            const std::string e1_body = entry_body(object_of(base), object_of(e1_update));
            co_await put_object(c, b, e1, e1_body);
            co_await put_object(c, b, manifest(), "\"\"");
            const std::int64_t t2 = std::max(spec::now_ms(), t1 + 1);
            const std::string e2 = spec::entry_key(manifest(), t2, "b7f", 0);
            const members e2_update = {{ref("gone"), std::nullopt}, {ref(dir_key), file_json(d0)}};
            const std::string e2_body = entry_body(object_of(after_e1), object_of(e2_update));
            co_await put_object(c, b, e2, e2_body);
            co_await put_object(c, b, manifest(), "\"\"");
            const std::int64_t t3 = std::max(spec::now_ms(), t2 + 1);
            const std::string e3 = spec::entry_key(manifest(), t3, "a1c", 2);
            const members e3_update = {{ref("beta"), file_json(b1)}, {ref("alpha"), file_json(a1)}};
            const std::string e3_body = entry_body(object_of(after_e1), object_of(e3_update));
            co_await put_object(c, b, e3, e3_body);
            co_await put_object(c, b, manifest(), "\"\"");

            // Invalid entries: stamped 8 s ahead (the newest listed, but |ts - LastModified| is
            // 8 s) and a day behind. Their bodies would change the state.
            const members hijack_files = {{ref("alpha"), file_json(h0)}};
            const members hijack_update = {{ref("hijack"), file_json(h0)}};
            const std::string hijack =
                entry_body(object_of(hijack_files), object_of(hijack_update));
            const std::string future = spec::entry_key(manifest(), spec::now_ms() + 8000, "f00", 0);
            const std::string past =
                spec::entry_key(manifest(), spec::now_ms() - 86400000, "e9d", 0);
            co_await put_object(c, b, future, hijack);
            co_await put_object(c, b, past, hijack);
            // Foreign objects under the prefix: content of a key named like the manifest, junk,
            // and an entry of manifest "manifest.json@x" (MPS3's unanchored pattern would take
            // it; mps3d anchors the suffix).
            // (A version starting with a letter sorts after every start-after, so it is listed.)
            std::string foreign_version = uuid(rng);
            while (foreign_version[0] < 'a') {
                foreign_version = uuid(rng);
            }
            const std::string foreign_content = manifest() + "@" + foreign_version;
            const std::string foreign_junk = manifest() + "@notes.txt";
            const std::string foreign_entry =
                spec::entry_key(manifest() + "@x", spec::now_ms() + 1000, "abc", 0);
            const std::string a_value = spec::pretty(R"("a value")").value();
            co_await put_object(c, b, foreign_content, a_value);
            co_await put_object(c, b, foreign_junk, "not an entry");
            co_await put_object(c, b, foreign_entry, hijack);
            // Other manifests sharing the bucket.
            const std::string sibling =
                spec::entry_key(manifest() + "2", spec::now_ms() + 1000, "abc", 0);
            co_await put_object(c, b, sibling, hijack);
            const std::string other_manifest = "other/manifest.json";
            const std::string other_entry =
                spec::entry_key(other_manifest, spec::now_ms(), "0a1", 0);
            const members other_update = {{ref("o1"), file_json(o1)}};
            const std::string other_body = entry_body("{}", object_of(other_update));
            co_await put_object(c, b, other_entry, other_body);
            co_await put_object(c, b, other_manifest, "\"\"");

            const kv expected = {{"alpha", R"({"n":2,"tags":[]})"},
                                 {"beta", R"("beta one")"},
                                 {"nothing", "null"},
                                 {dir_key, R"([1,2,{"x":true}])"}};

            // The independent reader.
            auto s = co_await read_spec(c, b, manifest());
            CHECK_MESSAGE(s.values == expected, diff(s.values, expected));
            CHECK(s.latest == e3);
            CHECK(s.replayed == std::vector<std::string>{e1, e2, e3});
            CHECK(s.invalid == std::vector<std::string>{future, past});
            CHECK(s.unreadable.empty());
            CHECK(s.bad_content.empty());
            CHECK(s.foreign.size() == 3);
            CHECK(s.versions.at(other_ref) != "");
            auto by_pages = co_await read_spec(c, b, manifest(), 2);
            CHECK(by_pages.values == expected);
            CHECK(by_pages.pages >= 4);

            // The checker on this bucket finds what was planted: foreign keys, invalid entries,
            // content the hijackers name but nobody wrote, E1's files that differ from E0's
            // outcome outside the window, and (strictly) E3's files that missed E2.
            spec::check_options everything;
            everything.strict_snapshots = true;
            const auto planted = co_await check(c, b, everything);
            auto found = [&](const std::string& a, const std::string& b2) {
                return std::any_of(planted.violations.begin(), planted.violations.end(),
                                   [&](const std::string& v) {
                                       return v.find(a) != std::string::npos &&
                                              v.find(b2) != std::string::npos;
                                   });
            };
            CHECK(found(foreign_junk, "no entry"));
            CHECK(found(future, "LastModified"));
            CHECK(found(past, "LastModified"));
            CHECK(found(future, "hijack@" + h0 + " is missing"));
            CHECK(found(e1, ref("zombie")));
            CHECK(found(e1, other_ref));
            CHECK(found(e3, ref(dir_key)));
            CHECK(found(e3, ref("gone")));
            CHECK_MESSAGE(planted.violations.size() == 11, joined(planted.violations));
            spec::check_options lax;
            lax.allow_foreign = true;
            lax.skip_sessions = {"f00", "e9d"};
            const auto lax_report = co_await check(c, b, lax);
            CHECK_MESSAGE(lax_report.violations.size() == 2, joined(lax_report.violations));
            CHECK(lax_report.entries_checked == 4);

            // mps3d.
            auto config = f.config();
            config.collect_garbage = false;
            auto store_a = open_store(ex, config);
            const auto started = std::chrono::steady_clock::now();
            const bool read = co_await eventually([&] { return state_of(*store_a) == expected; },
                                                  milliseconds(10000));
            CHECK_MESSAGE(read, "store vs expected:" << diff(state_of(*store_a), expected));
            MESSAGE("MPS3 bucket read by a new store in "
                    << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                                started)
                           .count()
                    << " ms");
            CHECK(value_of(*store_a, "zombie") == "<absent>");
            CHECK(value_of(*store_a, "gone") == "<absent>");
            CHECK(value_of(*store_a, "hijack") == "<absent>");

            auto other_config = f.config();
            other_config.manifest_key = other_manifest;
            other_config.collect_garbage = false;
            auto store_other = open_store(ex, other_config);
            const kv other_expected = {{"o1", R"({"other":true})"}};
            auto other_spec = co_await read_spec(c, b, other_manifest);
            CHECK(other_spec.values == other_expected);
            CHECK(co_await eventually([&] { return state_of(*store_other) == other_expected; },
                                      milliseconds(10000)));

            // mps3d extends the MPS3 bucket: its entries keep every ref (the other bucket's
            // too) and follow every rule.
            REQUIRE(store_a->put("epsilon", R"({"e": "\u03b5"})").has_value());
            REQUIRE(store_a->del("beta").has_value());
            auto flushed = co_await store_a->async_flush(milliseconds(15000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            kv extended = expected;
            extended.erase("beta");
            extended["epsilon"] = "{\"e\":\"\xce\xb5\"}";
            auto after = co_await read_spec(c, b, manifest());
            CHECK_MESSAGE(after.values == extended, diff(after.values, extended));
            CHECK(after.versions.contains(other_ref));
            CHECK(state_of(*store_a) == extended);
            spec::check_options rules;
            rules.strict_snapshots = true;
            rules.allow_foreign = true;
            rules.skip_sessions = {"a1c", "b7f", "f00", "e9d"};
            auto report = co_await check(c, b, rules);
            CHECK_MESSAGE(report.violations.empty(), joined(report.violations));
            CHECK(report.entries_checked >= 1);

            // Garbage collection (on by default) removes what MPS3 would: invalid entries and
            // entries older than the window; never content, foreign objects or other manifests.
            auto store_gc = open_store(ex, f.config());
            const bool collected = co_await eventually(
                [&] { return state_of(*store_gc) == extended; }, milliseconds(10000));
            CHECK(collected);
            bool gone = false;
            for (int i = 0; i < 100 && !gone; ++i) {
                const bool e0_left = co_await exists(c, b, e0);
                const bool future_left = co_await exists(c, b, future);
                const bool past_left = co_await exists(c, b, past);
                gone = !e0_left && !future_left && !past_left;
                if (!gone) {
                    co_await sleep_for(milliseconds(100));
                }
            }
            CHECK_MESSAGE(gone, "E0 and the invalid entries were not collected");
            const std::vector<std::string> kept = {
                foreign_content, foreign_junk, foreign_entry,  sibling,       other_entry,
                other_manifest,  manifest(),   "zombie@" + z0, "alpha@" + a0, "gone@" + g0};
            for (const auto& key : kept) {
                CHECK_MESSAGE(co_await exists(c, b, key), key << " was deleted");
            }
            auto final_state = co_await read_spec(c, b, manifest());
            CHECK(final_state.values == extended);

            co_await store_gc->async_close();
            co_await store_other->async_close();
            co_await store_a->async_close();
            co_return 0;
        },
        std::chrono::seconds(180));
}

TEST_CASE("compat: every entry mps3d writes satisfies sections 3-5 and 7 of the format") {
    test::engine_fixture f("compat-rules");
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            s3::client c(ex, test::shared_server().client_config());
            auto config = f.config();
            config.collect_garbage = false;  // the checker resolves each entry's predecessors
            auto a = open_store(ex, config);
            config = f.config();
            config.collect_garbage = false;
            auto b = open_store(ex, config);
            const std::string& bucket = f.bucket;

            // Phase 1, one writer at a time: every "files" must be exactly the state before.
            REQUIRE(a->put("user/1", R"({"name": "Ada", "langs": ["en", "fr"]})").has_value());
            REQUIRE(a->put("user/2", R"("Grace")").has_value());
            REQUIRE(a->put("counter", "0").has_value());
            REQUIRE(a->put("nothing", "null").has_value());
            auto flushed = co_await a->async_flush(milliseconds(15000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            REQUIRE(co_await eventually([&] { return value_of(*b, "nothing") == "null"; },
                                        milliseconds(10000)));
            std::vector<write_op> batch;
            batch.emplace_back("user/3", "{\"name\": \"\xc3\x89mile \xf0\x9f\x9a\x80\"}");
            batch.emplace_back("counter", "1");
            batch.emplace_back("user/2", std::nullopt);
            batch.emplace_back("a key/with spaces", R"([true, false, 1.5, -2, "s"])");
            REQUIRE(b->put_all(batch).has_value());
            flushed = co_await b->async_flush(milliseconds(15000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            REQUIRE(co_await eventually([&] { return value_of(*a, "counter") == "1"; },
                                        milliseconds(10000)));
            REQUIRE(a->del("nothing").has_value());
            REQUIRE(a->put("counter", "2").has_value());
            flushed = co_await a->async_flush(milliseconds(15000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            REQUIRE(co_await eventually([&] { return value_of(*b, "counter") == "2"; },
                                        milliseconds(10000)));

            const kv expected = {{"user/1", R"({"name":"Ada","langs":["en","fr"]})"},
                                 {"user/3", "{\"name\":\"\xc3\x89mile \xf0\x9f\x9a\x80\"}"},
                                 {"counter", "2"},
                                 {"a key/with spaces", R"([true,false,1.5,-2,"s"])"}};
            auto s = co_await read_spec(c, bucket, manifest());
            CHECK_MESSAGE(s.values == expected, diff(s.values, expected));
            CHECK(state_of(*a) == expected);
            CHECK(state_of(*b) == expected);
            spec::check_options strict;
            strict.strict_snapshots = true;
            auto report = co_await check(c, bucket, strict);
            CHECK_MESSAGE(report.violations.empty(), joined(report.violations));
            MESSAGE("serialised phase: " << report.entries_checked << " entries, "
                                         << report.content_checked << " content objects checked");
            CHECK(report.entries_checked >= 3);

            // Phase 2, both at once on overlapping keys: a difference between an entry's files
            // and the state before it must be covered by an entry in the replay window.
            for (int i = 0; i < 40; ++i) {
                REQUIRE(a->put("c/" + std::to_string(i % 7), std::to_string(i)).has_value());
                REQUIRE(b->put("c/" + std::to_string((i + 3) % 7), std::to_string(1000 + i))
                            .has_value());
                if (i % 6 == 5) {
                    REQUIRE(a->del("c/" + std::to_string((i + 1) % 7)).has_value());
                    std::vector<write_op> ops;
                    ops.emplace_back("c/" + std::to_string((i + 2) % 7), std::nullopt);
                    ops.emplace_back("d/" + std::to_string(i),
                                     R"({"i": )" + std::to_string(i) + "}");
                    REQUIRE(b->put_all(ops).has_value());
                }
                co_await sleep_for(milliseconds(25));
            }
            flushed = co_await a->async_flush(milliseconds(30000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            flushed = co_await b->async_flush(milliseconds(30000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            kv spec_values;
            const bool converged = co_await eventually(
                [&] {
                    const auto sa = state_of(*a);
                    return sa == state_of(*b) && sa.contains("d/35");
                },
                milliseconds(15000));
            s = co_await read_spec(c, bucket, manifest());
            CHECK_MESSAGE(converged, "a vs b:" << diff(state_of(*a), state_of(*b)));
            CHECK_MESSAGE(state_of(*a) == s.values,
                          "store vs spec:" << diff(state_of(*a), s.values));
            spec::check_options lax;
            report = co_await check(c, bucket, lax);
            CHECK_MESSAGE(report.violations.empty(), joined(report.violations));
            MESSAGE("after concurrent writes: "
                    << report.entries_checked << " entries (" << a->get_status().entries_written
                    << " by A, " << b->get_status().entries_written << " by B), "
                    << report.content_checked << " content objects checked, " << s.values.size()
                    << " keys");
            co_await a->async_close();
            co_await b->async_close();
            co_return 0;
        },
        std::chrono::seconds(240));
}

TEST_CASE("compat: an MPS3-style writer and mps3d interleave; its deletes are notified") {
    test::engine_fixture f("compat-mixed");
    const std::uint64_t seed = fresh_seed();
    MESSAGE("seed " << seed);
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            s3::client c(ex, test::shared_server().client_config());
            const std::string& bucket = f.bucket;
            auto config = f.config();
            config.collect_garbage = false;
            auto a = open_store(ex, config);
            std::vector<change_event> seen;
            auto sub = a->subscribe_prefix("", [&](const change_event& e) { seen.push_back(e); });
            auto last_event = [&](const std::string& key) -> const change_event* {
                for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
                    if (it->key == key) {
                        return &*it;
                    }
                }
                return nullptr;
            };
            mps3_writer w(c, bucket, "5e7", seed);

            // mps3d first, then the MPS3 writer on top of it.
            REQUIRE(a->put("a", "1").has_value());
            REQUIRE(a->put("b", "2").has_value());
            REQUIRE(a->put("c", "3").has_value());
            auto flushed = co_await a->async_flush(milliseconds(15000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            const members first = {{"b", "20"}, {"c", std::nullopt}, {"w", R"({"from": "mps3"})"}};
            co_await w.commit(first);
            const kv after_w = {{"a", "1"}, {"b", "20"}, {"w", R"({"from":"mps3"})"}};
            const auto started = std::chrono::steady_clock::now();
            const bool picked =
                co_await eventually([&] { return state_of(*a) == after_w; }, milliseconds(10000));
            CHECK_MESSAGE(picked, "store vs expected:" << diff(state_of(*a), after_w));
            MESSAGE("MPS3-style entry picked up by mps3d (100 ms poll) in "
                    << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                                started)
                           .count()
                    << " ms");
            const auto* c_event = last_event("c");
            REQUIRE(c_event != nullptr);
            CHECK_FALSE(c_event->new_value.has_value());  // the remote delete was notified
            CHECK(c_event->old_value == std::optional<std::string>("3"));
            CHECK(c_event->origin == change_origin::remote);
            const auto* b_event = last_event("b");
            REQUIRE(b_event != nullptr);
            CHECK(b_event->new_value == std::optional<std::string>("20"));
            CHECK(b_event->origin == change_origin::remote);

            // mps3d on top of the MPS3 writer: it deletes the MPS3 writer's key.
            REQUIRE(a->put("d", "4").has_value());
            REQUIRE(a->del("w").has_value());
            flushed = co_await a->async_flush(milliseconds(15000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            const kv after_a = {{"a", "1"}, {"b", "20"}, {"d", "4"}};
            auto s = co_await read_spec(c, bucket, manifest());
            CHECK_MESSAGE(s.values == after_a, diff(s.values, after_a));

            // Quick alternation, no waiting for a poll in between.
            kv expected = after_a;
            for (int i = 0; i < 6; ++i) {
                const std::string mine = "m" + std::to_string(i);
                const std::string theirs = "j" + std::to_string(i);
                REQUIRE(a->put(mine, std::to_string(i)).has_value());
                expected[mine] = std::to_string(i);
                flushed = co_await a->async_flush(milliseconds(15000));
                REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
                members ops = {{theirs, "\"" + std::to_string(i) + "\""}};
                expected[theirs] = "\"" + std::to_string(i) + "\"";
                if (i > 0) {
                    ops.emplace_back("m" + std::to_string(i - 1), std::nullopt);
                    expected.erase("m" + std::to_string(i - 1));
                }
                co_await w.commit(ops);
            }
            const members delete_a = {{"a", std::nullopt}};
            co_await w.commit(delete_a);
            expected.erase("a");
            const bool final_read =
                co_await eventually([&] { return state_of(*a) == expected; }, milliseconds(10000));
            CHECK_MESSAGE(final_read, "store vs expected:" << diff(state_of(*a), expected));
            s = co_await read_spec(c, bucket, manifest());
            CHECK_MESSAGE(s.values == expected, diff(s.values, expected));
            const auto* a_event = last_event("a");
            REQUIRE(a_event != nullptr);
            CHECK_FALSE(a_event->new_value.has_value());
            CHECK(a_event->origin == change_origin::remote);
            const auto* m4_event = last_event("m4");
            REQUIRE(m4_event != nullptr);
            CHECK_FALSE(m4_event->new_value.has_value());  // its own key, deleted by the other

            // Both writers serialised: every entry, theirs and ours, is an exact snapshot.
            spec::check_options strict;
            strict.strict_snapshots = true;
            auto report = co_await check(c, bucket, strict);
            CHECK_MESSAGE(report.violations.empty(), joined(report.violations));
            MESSAGE(report.entries_checked << " entries checked (" << w.entries().size()
                                           << " MPS3-style, " << a->get_status().entries_written
                                           << " by mps3d)");
            co_await a->async_close();
            co_return 0;
        },
        std::chrono::seconds(180));
}

TEST_CASE("compat: garbage in the bucket does not break a store") {
    test::engine_fixture f("compat-garbage");
    const std::uint64_t seed = fresh_seed();
    MESSAGE("seed " << seed);
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            s3::client c(ex, test::shared_server().client_config());
            const std::string& bucket = f.bucket;
            std::mt19937_64 rng(seed);
            auto ref = [&](const std::string& key) { return bucket + "/" + key; };
            mps3_writer w(c, bucket, "9a0", seed + 1);

            std::string deep100;
            for (int i = 0; i < 100; ++i) {
                deep100 += i % 2 == 0 ? "[" : "{\"d\":";
            }
            deep100 += "0";
            for (int i = 99; i >= 0; --i) {
                deep100 += i % 2 == 0 ? "]" : "}";
            }
            std::string huge = R"({"numbers":[)";
            for (int i = 0; i < 100000; ++i) {
                huge += (i == 0 ? "" : ",") + std::to_string(i * 7);
            }
            huge += R"(],"text":")" + std::string(std::size_t{2} * 1024 * 1024, 'x') + "\"}";
            const members initial = {
                {"k1", "1"}, {"k2", R"("two")"}, {"deep", deep100}, {"huge", huge}};
            co_await w.commit(initial);

            auto s = co_await read_spec(c, bucket, manifest());
            REQUIRE_MESSAGE(s.values.size() == 4, "bad content:" << joined(s.bad_content));
            CHECK(s.values.at("deep") == spec::compact(deep100).value());
            CHECK(s.values.at("huge").size() == spec::compact(huge).value().size());
            auto config = f.config();
            config.collect_garbage = false;
            const auto started = std::chrono::steady_clock::now();
            auto a = open_store(ex, config);
            const bool loaded =
                co_await eventually([&] { return state_of(*a) == s.values; }, milliseconds(20000));
            REQUIRE_MESSAGE(loaded, "store vs spec:" << diff(state_of(*a), s.values));
            MESSAGE("a " << s.values.at("huge").size() << "-byte value and a 100-deep one read in "
                         << std::chrono::duration_cast<milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count()
                         << " ms");
            const kv base = s.values;
            unsigned garbage_n = 0;
            // A garbage entry stamped now (valid key and time), so it is the newest entry.
            auto put_garbage = [&](const std::string& body) -> asio::awaitable<std::string> {
                const std::string key = spec::entry_key(
                    manifest(), std::max(spec::now_ms(), s.latest_ts.value_or(0) + 1), "bad",
                    garbage_n++);
                co_await put_object(c, bucket, key, body);
                co_await put_object(c, bucket, manifest(), "\"\"");
                co_return key;
            };

            // 1. The newest entry is not JSON: the previous valid entry is used.
            const std::string g1 = co_await put_garbage("{\"files\": {this is not json");
            REQUIRE(co_await synced_twice(*a));
            CHECK(state_of(*a) == base);
            CHECK(a->get_status().last_error.empty());
            s = co_await read_spec(c, bucket, manifest());
            CHECK(s.unreadable == std::vector<std::string>{g1});
            CHECK(s.values == base);

            // 2. The newest entry's files is not an object; its update is not applied either.
            const std::string v_new = co_await put_content(c, bucket, rng, "k1", "111");
            const members g2_update = {{ref("k1"), file_json(v_new)}};
            const std::string g2_body = entry_body("[1, 2]", object_of(g2_update));
            const std::string g2 = co_await put_garbage(g2_body);
            REQUIRE(co_await synced_twice(*a));
            CHECK(state_of(*a) == base);
            s = co_await read_spec(c, bucket, manifest());
            CHECK(s.values == base);
            CHECK(s.unreadable.size() == 2);

            // 3. The newest entry's body is nested 100,000 deep.
            const std::string g3_body = R"({"files": {}, "junk": )" + std::string(100000, '[') +
                                        std::string(100000, ']') + "}";
            const std::string g3 = co_await put_garbage(g3_body);
            REQUIRE(co_await synced_twice(*a));
            CHECK(state_of(*a) == base);
            s = co_await read_spec(c, bucket, manifest());
            CHECK(s.values == base);
            CHECK(s.unreadable.size() == 3);

            // 4. A valid write on top: the unreadable entries in its window are skipped, not
            // fatal.
            const members k3 = {{"k3", "3"}};
            co_await w.commit(k3);
            kv expected = base;
            expected["k3"] = "3";
            CHECK(
                co_await eventually([&] { return state_of(*a) == expected; }, milliseconds(10000)));

            // 5. Readable entry with bad members: a bad member of files is left out, a bad
            // member of update leaves its key as it was, the good members apply.
            s = co_await read_spec(c, bucket, manifest());
            const std::string v4 = co_await put_content(c, bucket, rng, "k4", R"({"four": 4})");
            std::string files = s.files_json;
            files.insert(files.size() - 1, "," + spec::quote(ref("bogus")) + ":5," +
                                               spec::quote(ref("bogus2")) + R"(:{"v":"x"})");
            const members g5_update = {{ref("k2"), "17"}, {ref("k4"), file_json(v4)}};
            const std::string g5_body = entry_body(files, object_of(g5_update));
            const std::string g5 = co_await put_garbage(g5_body);
            expected["k4"] = R"({"four":4})";
            CHECK(
                co_await eventually([&] { return state_of(*a) == expected; }, milliseconds(10000)));
            s = co_await read_spec(c, bucket, manifest());
            CHECK_MESSAGE(s.values == expected, diff(s.values, expected));
            CHECK(s.latest == g5);

            // 6. Content that is not JSON, and content nested 100,000 deep: the spec gives the
            // key no value; mps3d keeps what it had (k1) or nothing (deep2).
            const members bad_content = {
                {"k1", "{oops"},
                {"deep2", std::string(100000, '[') + std::string(100000, ']')},
                {"tick", "1"}};
            co_await w.commit(bad_content);
            expected["tick"] = "1";
            CHECK(co_await eventually([&] { return value_of(*a, "tick") == "1"; },
                                      milliseconds(10000)));
            CHECK(value_of(*a, "k1") == "1");
            CHECK(value_of(*a, "deep2") == "<absent>");
            s = co_await read_spec(c, bucket, manifest());
            CHECK(s.bad_content.size() == 2);
            kv spec_expected = expected;
            spec_expected.erase("k1");
            CHECK_MESSAGE(s.values == spec_expected, diff(s.values, spec_expected));
            CHECK_MESSAGE(state_of(*a) == expected, diff(state_of(*a), expected));

            // 7. The store still writes, and its entry is right despite everything above.
            REQUIRE(a->put("after", "true").has_value());
            auto flushed = co_await a->async_flush(milliseconds(15000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            expected["after"] = "true";
            spec_expected["after"] = "true";
            s = co_await read_spec(c, bucket, manifest());
            CHECK_MESSAGE(s.values == spec_expected, diff(s.values, spec_expected));
            spec::check_options rules;
            rules.strict_snapshots = true;
            rules.skip_sessions = {w.session(), "bad"};
            auto report = co_await check(c, bucket, rules);
            CHECK_MESSAGE(report.violations.empty(), joined(report.violations));
            CHECK(report.entries_checked == 1);
            auto b = open_store(ex, f.config());
            CHECK(co_await eventually([&] { return value_of(*b, "after") == "true"; },
                                      milliseconds(10000)));
            CHECK(value_of(*b, "k4") == R"({"four":4})");
            CHECK(value_of(*b, "k1") == "<absent>");  // a fresh replica has no previous value
            (void)g3;
            co_await b->async_close();
            co_await a->async_close();
            co_return 0;
        },
        std::chrono::seconds(240));
}

TEST_CASE("compat: the latest entry behind 1,000+ foreign keys (list page 2) is read") {
    test::engine_fixture f("compat-pages");
    const std::uint64_t seed = fresh_seed();
    MESSAGE("seed " << seed);
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            using namespace asio::experimental::awaitable_operators;
            co_await f.create_bucket(ex);
            s3::client c(ex, test::shared_server().client_config());
            const std::string& bucket = f.bucket;
            mps3_writer w(c, bucket, "7c3", seed);
            const members initial = {{"p1", "1"}, {"p2", R"("two")"}};
            const std::string e = co_await w.commit(initial);
            const auto t = spec::parse_entry_key(manifest(), e).value().ts.value();

            // Keys that sort between start-after and the entries: "M@<ts9(t + 2 s)>_junk_NNNN".
            constexpr int junk_count = 1010;
            const std::string junk_prefix = manifest() + "@" + spec::ts9(t + 2000) + "_junk_";
            int next = 0;
            const auto started = std::chrono::steady_clock::now();
            auto worker = [&]() -> asio::awaitable<void> {
                while (next < junk_count) {
                    std::string number = std::to_string(next++);
                    number.insert(0, 4 - number.size(), '0');
                    co_await put_object(c, bucket, junk_prefix + number, "\"junk\"");
                }
            };
            co_await (worker() && worker() && worker() && worker() && worker() && worker());
            MESSAGE(junk_count << " foreign keys written in "
                               << std::chrono::duration_cast<milliseconds>(
                                      std::chrono::steady_clock::now() - started)
                                      .count()
                               << " ms");

            const kv expected = {{"p1", "1"}, {"p2", R"("two")"}};
            auto s = co_await read_spec(c, bucket, manifest());
            CHECK_MESSAGE(s.values == expected, diff(s.values, expected));
            CHECK(s.pages >= 2);
            CHECK(s.foreign.size() == junk_count);
            CHECK(s.latest == e);
            auto small_pages = co_await read_spec(c, bucket, manifest(), 100);
            CHECK(small_pages.values == expected);
            MESSAGE("listing: " << s.pages << " pages of the server's size, " << small_pages.pages
                                << " of 100 keys");

            auto a = open_store(ex, f.config());  // garbage collection on: junk must stay
            CHECK(
                co_await eventually([&] { return state_of(*a) == expected; }, milliseconds(10000)));
            const members p3 = {{"p3", "3"}};
            co_await w.commit(p3);
            CHECK(co_await eventually([&] { return value_of(*a, "p3") == "3"; },
                                      milliseconds(10000)));
            REQUIRE(a->put("p4", "4").has_value());
            auto flushed = co_await a->async_flush(milliseconds(15000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            const kv final_expected = {{"p1", "1"}, {"p2", R"("two")"}, {"p3", "3"}, {"p4", "4"}};
            s = co_await read_spec(c, bucket, manifest());
            CHECK_MESSAGE(s.values == final_expected, diff(s.values, final_expected));
            CHECK(s.foreign.size() == junk_count);  // never collected
            CHECK(state_of(*a) == final_expected);
            co_await a->async_close();
            co_return 0;
        },
        std::chrono::seconds(240));
}

TEST_CASE("compat: after an entry from a fast MPS3 clock, mps3d's entries stay valid and later") {
    test::engine_fixture f("compat-fastclock");
    const std::uint64_t seed = fresh_seed();
    MESSAGE("seed " << seed);
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            s3::client c(ex, test::shared_server().client_config());
            const std::string& bucket = f.bucket;
            // MPS3 only ever moves its clock offset forward: its stamps can run seconds ahead,
            // still valid (< 5 s). mps3d stamps after them (+ 1 ms) and must stay valid too.
            mps3_writer fast(c, bucket, "fa5", seed);
            fast.set_skew(3800);
            const members first = {{"s", R"("fast")"}};
            co_await fast.commit(first);
            auto config = f.config();
            config.collect_garbage = false;
            std::vector<std::string> warnings;
            config.log = [&](log_level level, std::string_view, std::string_view message) {
                if (level >= log_level::warn) {
                    warnings.emplace_back(message);
                }
            };
            auto a = open_store(ex, config);
            CHECK(co_await eventually([&] { return value_of(*a, "s") == R"("fast")"; },
                                      milliseconds(10000)));
            kv expected = {{"s", R"("fast")"}};
            for (int i = 0; i < 3; ++i) {
                REQUIRE(a->put("t" + std::to_string(i), std::to_string(i)).has_value());
                expected["t" + std::to_string(i)] = std::to_string(i);
                const auto started = std::chrono::steady_clock::now();
                auto flushed = co_await a->async_flush(milliseconds(20000));
                REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
                MESSAGE("mps3d entry after a +3.8 s entry flushed in "
                        << std::chrono::duration_cast<milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count()
                        << " ms");
                const members again = {{"s" + std::to_string(i), "true"}};
                co_await fast.commit(again);
                expected["s" + std::to_string(i)] = "true";
            }
            CHECK(
                co_await eventually([&] { return state_of(*a) == expected; }, milliseconds(10000)));
            auto s = co_await read_spec(c, bucket, manifest());
            CHECK_MESSAGE(s.values == expected, diff(s.values, expected));
            spec::check_options strict;
            strict.strict_snapshots = true;
            auto report = co_await check(c, bucket, strict);
            CHECK_MESSAGE(report.violations.empty(), joined(report.violations));
            // Every entry of mps3d's session should be one it counts as written. An entry
            // stamped >= 4 s after the Date second of its PUT is valid (its listed
            // |ts - LastModified| is about 4.1 s) but the engine's post-PUT check, which only
            // knows LastModified >= floor(Date - rtt - 1 ms) = Date - 1 s, calls it uncertain
            // and writes it again under a new key, up to 5 times, then fails the upload.
            std::size_t mps3d_entries = 0;
            std::string mps3d_listing;
            s3::list_options everything_listed;
            everything_listed.prefix = manifest() + "@";
            auto listed = co_await c.async_list_all(bucket, everything_listed);
            REQUIRE(listed.has_value());
            for (const auto& o : listed->objects) {
                const auto k = spec::parse_entry_key(manifest(), o.key);
                // The fast writer's entries by key, not by session: mps3d may draw "fa5" too.
                const bool by_fast = std::find(fast.attempted().begin(), fast.attempted().end(),
                                               o.key) != fast.attempted().end();
                if (!k || by_fast || !o.last_modified_time) {
                    continue;
                }
                ++mps3d_entries;
                const auto lm = std::chrono::duration_cast<milliseconds>(
                                    o.last_modified_time->time_since_epoch())
                                    .count();
                mps3d_listing +=
                    "\n  " + o.key + ": ts - LastModified = " + std::to_string(*k->ts - lm) + " ms";
            }
            MESSAGE("3 writes after +3.8 s entries: " << mps3d_entries << " mps3d entries, "
                                                      << a->get_status().entries_written
                                                      << " counted as written");
            CHECK_MESSAGE(mps3d_entries == a->get_status().entries_written,
                          "mps3d rewrote valid entries:" << mps3d_listing
                                                         << "\nits warnings:" << joined(warnings));
            co_await a->async_close();
            co_return 0;
        },
        std::chrono::seconds(180));
}
