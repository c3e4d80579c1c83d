// The manifest reader (engine/manifest_reader.hpp) driven by hand: listings and entry bodies in
// the orders a server (or another client collecting garbage) can produce, without a server.
#include "engine/manifest_reader.hpp"
#include "protocol/entry_key.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mps3;
using namespace std::chrono_literals;
using engine::read_step;
namespace read_do = engine::read_do;

namespace {

const protocol::timestamp t0{std::chrono::milliseconds(1'700'000'000'000)};
const std::string manifest = "manifest.json";

protocol::file_state version(std::string v) {
    return {.version = std::move(v), .replication = std::nullopt};
}

// An entry written at t0 + offset, listed with LastModified = its stamp.
struct entry {
    std::string key;
    std::string body;
    protocol::listed_object listed;
};

entry make_entry(std::chrono::milliseconds offset, const protocol::manifest_state& files,
                 const protocol::manifest_update& update, unsigned counter = 0) {
    const auto t = t0 + offset;
    entry e;
    e.key = protocol::format_entry_key(manifest, t, "abc", counter);
    auto body = protocol::serialize_entry_body(files, update);
    REQUIRE(body);
    e.body = *body;
    e.listed = {.key = e.key, .last_modified = t};
    return e;
}

struct harness {
    explicit harness(engine::manifest_reader::limits lim = {})
        : reader(
              manifest, [this](const std::string& m) { warnings.push_back(m); }, lim) {}

    std::vector<std::string> warnings;
    engine::manifest_reader reader;
    std::vector<std::string> last_asked;
    std::vector<protocol::listed_object> also_listed;  // objects besides the entries

    // A read against `listing`, answering each body GET from `entries` (or with `override`).
    read_step read(const std::vector<entry>& listing,
                   const std::function<std::optional<result<std::string>>(const std::string&)>&
                       answer = nullptr) {
        read_step step = reader.begin(t0 + 1s);
        REQUIRE(std::holds_alternative<read_do::list_entries>(step));
        CHECK(std::get<read_do::list_entries>(step).prefix == manifest + "@");
        for (int i = 0; i < 20; ++i) {
            if (std::holds_alternative<read_do::list_entries>(step)) {
                std::vector<protocol::listed_object> objects;
                for (const auto& e : listing) {
                    objects.push_back(e.listed);
                }
                objects.insert(objects.end(), also_listed.begin(), also_listed.end());
                step = reader.on_listed(objects);
            } else if (const auto* get = std::get_if<read_do::get_bodies>(&step)) {
                last_asked = get->keys;
                std::vector<std::optional<result<std::string>>> bodies;
                for (const auto& key : get->keys) {
                    if (answer) {
                        bodies.push_back(answer(key));
                        continue;
                    }
                    const auto it = std::find_if(listing.begin(), listing.end(),
                                                 [&](const entry& e) { return e.key == key; });
                    REQUIRE(it != listing.end());
                    bodies.emplace_back(it->body);
                }
                step = reader.on_bodies(bodies, t0 + 1s);
            } else {
                return step;
            }
        }
        FAIL("the reader did not finish");
        return step;
    }
};

engine::remote_state resolved(const read_step& step) {
    REQUIRE(std::holds_alternative<read_do::resolved>(step));
    return std::get<read_do::resolved>(step).state;
}

error failed(const read_step& step) {
    REQUIRE(std::holds_alternative<read_do::failed>(step));
    return std::get<read_do::failed>(step).why;
}

}  // namespace

TEST_CASE("manifest reader: an empty manifest resolves to nothing without a GET") {
    harness h;
    const auto state = resolved(h.read({}));
    CHECK(state.files.empty());
    CHECK_FALSE(state.latest);
    CHECK(h.last_asked.empty());
}

TEST_CASE("manifest reader: entries are fetched once, then served from the cache") {
    harness h;
    const auto first = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    const auto state = resolved(h.read({first}));
    CHECK(state.files.at("s3://b/a") == version("1"));
    CHECK(state.latest->key == first.key);
    CHECK(state.newest_ts == t0);
    CHECK(h.last_asked == std::vector<std::string>{first.key});

    // A poll that lists one more entry GETs that one only.
    const auto second = make_entry(1s, state.files, {{"s3://b/c", version("2")}}, 1);
    h.last_asked.clear();
    const auto next = resolved(h.read({second, first}));
    CHECK(h.last_asked == std::vector<std::string>{second.key});
    CHECK(next.files.size() == 2);
    CHECK(h.reader.cached_bodies() == 2);

    // Nothing new: no GET at all.
    h.last_asked.clear();
    (void)resolved(h.read({second, first}));
    CHECK(h.last_asked.empty());
}

TEST_CASE("manifest reader: entries collected by another client leave the cache") {
    harness h;
    const auto old = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    const auto latest = make_entry(10s, {{"s3://b/a", version("1")}}, {{"s3://b/c", version("2")}});
    (void)resolved(h.read({latest, old}));
    // old is older than the replay window: garbage, never fetched.
    CHECK(h.reader.cached_bodies() == 1);
    const auto state = resolved(h.read({latest}));
    CHECK(state.files.size() == 2);
    CHECK(h.reader.cached_bodies() == 1);
}

TEST_CASE("manifest reader: an entry collected between LIST and GET makes it list again") {
    harness h;
    const auto e = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    int gets = 0;
    const auto state = resolved(h.read({e}, [&](const std::string&) {
        ++gets;
        if (gets == 1) {
            return std::optional<result<std::string>>(error(errc::not_found, "NoSuchKey"));
        }
        return std::optional<result<std::string>>(e.body);
    }));
    CHECK(gets == 2);
    CHECK(state.latest->key == e.key);
}

TEST_CASE("manifest reader: a bucket that keeps changing under it still ends, with an error") {
    harness h;
    const auto e = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    const auto why = failed(h.read({e}, [](const std::string&) {
        return std::optional<result<std::string>>(error(errc::not_found, "NoSuchKey"));
    }));
    CHECK(why.code == make_error_code(errc::bad_response));
    CHECK(why.message == "the manifest kept changing under 5 reads of it");
}

TEST_CASE("manifest reader: a GET failing for another reason fails the read with it") {
    harness h;
    const auto e = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    const auto why = failed(h.read({e}, [](const std::string&) {
        return std::optional<result<std::string>>(error(errc::server_error, "503 SlowDown"));
    }));
    CHECK(why.code == make_error_code(errc::server_error));
}

TEST_CASE("manifest reader: a body the driver did not fetch is planned again, not skipped") {
    harness h;
    const auto e = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    int gets = 0;
    const auto state = resolved(h.read({e}, [&](const std::string&) {
        return ++gets == 1 ? std::optional<result<std::string>>()
                           : std::optional<result<std::string>>(e.body);
    }));
    CHECK(state.files.size() == 1);
}

TEST_CASE("manifest reader: a LIST that fails fails the read") {
    harness h;
    REQUIRE(std::holds_alternative<read_do::list_entries>(h.reader.begin(t0)));
    CHECK(failed(h.reader.on_listed(error(errc::network, "reset"))).code ==
          make_error_code(errc::network));
}

TEST_CASE("manifest reader: an unreadable entry is skipped per read, given up after three") {
    harness h;
    const auto good = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    auto bad = make_entry(1s, {{"s3://b/a", version("1")}}, {{"s3://b/c", version("2")}}, 1);
    bad.body = "{\"files\": {";  // cut off mid-body, as s3rver serves an object being stored
    int bad_gets = 0;
    const auto answer = [&](const std::string& key) {
        if (key == bad.key) {
            ++bad_gets;
            return std::optional<result<std::string>>(bad.body);
        }
        return std::optional<result<std::string>>(good.body);
    };
    for (int read = 1; read <= 3; ++read) {
        const auto state = resolved(h.read({bad, good}, answer));
        // Resolved without it: the good entry is the latest.
        CHECK(state.latest->key == good.key);
        CHECK(bad_gets == read);  // tried again by every read until given up
    }
    // One warning naming it, not one per read.
    REQUIRE(h.warnings.size() == 1);
    CHECK(h.warnings[0].find("skipping manifest entry " + bad.key + ": ") == 0);
    // Given up: no more GETs, no more warnings.
    (void)resolved(h.read({bad, good}, answer));
    CHECK(bad_gets == 3);
    CHECK(h.warnings.size() == 1);
}

TEST_CASE("manifest reader: an entry over the size limit is given up at once, warned once") {
    harness h;
    const auto good = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    const auto big = make_entry(1s, {{"s3://b/a", version("1")}}, {{"s3://b/c", version("2")}}, 1);
    int big_gets = 0;
    const auto answer = [&](const std::string& key) {
        if (key == big.key) {
            ++big_gets;
            return std::optional<result<std::string>>(
                error(errc::too_large, big.key + ": larger than the limit"));
        }
        return std::optional<result<std::string>>(good.body);
    };
    for (int read = 0; read < 3; ++read) {
        const auto state = resolved(h.read({big, good}, answer));
        CHECK(state.latest->key == good.key);
        CHECK(state.files.size() == 1);
    }
    CHECK(big_gets == 1);
    REQUIRE(h.warnings.size() == 1);
    CHECK(h.warnings[0].find("skipping manifest entry " + big.key) == 0);
    CHECK(h.warnings[0].find("larger than the limit") != std::string::npos);
}

TEST_CASE("manifest reader: an entry naming more files than the limit is given up at once") {
    harness h({.max_entry_files = 2});
    const auto good = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    // 2 files + 1 update: over the limit of 2 (files and update.files count together).
    const auto wide = make_entry(1s, {{"s3://b/a", version("1")}, {"s3://b/b", version("1")}},
                                 {{"s3://b/c", version("2")}}, 1);
    int wide_gets = 0;
    const auto answer = [&](const std::string& key) {
        wide_gets += key == wide.key ? 1 : 0;
        return std::optional<result<std::string>>(key == wide.key ? wide.body : good.body);
    };
    for (int read = 0; read < 3; ++read) {
        CHECK(resolved(h.read({wide, good}, answer)).latest->key == good.key);
    }
    CHECK(wide_gets == 1);
    REQUIRE(h.warnings.size() == 1);
    CHECK(h.warnings[0].find("names 3 files, more than the limit of 2") != std::string::npos);
}

TEST_CASE("manifest reader: junk under the prefix is warned about once, other manifests never") {
    harness h;
    const auto good = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    const std::string junk = manifest + "@zzz-not-an-entry";
    const std::string other_manifests =  // an entry of manifest "manifest.json@x"
        protocol::format_entry_key(manifest + "@x", t0, "abc", 0);
    h.also_listed = {{.key = junk, .last_modified = t0},
                     {.key = other_manifests, .last_modified = t0}};
    for (int read = 0; read < 3; ++read) {
        CHECK(resolved(h.read({good})).latest->key == good.key);
    }
    REQUIRE(h.warnings.size() == 1);
    CHECK(h.warnings[0] == "ignoring " + junk + ": under the manifest's prefix but not an entry");
    // Gone, then back (a new object under the same key): warned about again.
    h.also_listed.clear();
    (void)resolved(h.read({good}));
    h.also_listed = {{.key = junk, .last_modified = t0}};
    (void)resolved(h.read({good}));
    CHECK(h.warnings.size() == 2);
}

TEST_CASE("manifest reader: a body readable on a later read counts again (s3rver's cut-off)") {
    harness h;
    const auto good = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    const auto later =
        make_entry(1s, {{"s3://b/a", version("1")}}, {{"s3://b/c", version("2")}}, 1);
    bool cut = true;
    const auto answer = [&](const std::string& key) {
        if (key == later.key && cut) {
            return std::optional<result<std::string>>(std::string("{"));
        }
        return std::optional<result<std::string>>(key == later.key ? later.body : good.body);
    };
    CHECK(resolved(h.read({later, good}, answer)).latest->key == good.key);
    cut = false;
    const auto state = resolved(h.read({later, good}, answer));
    CHECK(state.latest->key == later.key);
    CHECK(state.files.size() == 2);
}

TEST_CASE("manifest reader: unreadable entries spaced wider than the window do not fail a read") {
    harness h;
    const auto good = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    std::vector<entry> listing{good};
    // Each newer than the last by more than the replay window: one round finds one of them.
    for (unsigned i = 1; i <= 8; ++i) {
        auto bad = make_entry(std::chrono::seconds(6 * i), {}, {}, i);
        bad.body = "not json";
        listing.push_back(bad);
    }
    const auto state = resolved(h.read(listing));
    CHECK(state.latest->key == good.key);
    CHECK(state.files.size() == 1);
    CHECK(h.warnings.size() == 8);
}

TEST_CASE("manifest reader: a served body that cannot be decoded is unreadable, not a failure") {
    harness h;
    const auto good = make_entry(0ms, {}, {{"s3://b/a", version("1")}});
    const auto bad = make_entry(1s, {{"s3://b/a", version("1")}}, {{"s3://b/c", version("2")}}, 1);
    // What store::impl::async_get_body answers for a corrupt gzip body: the GET's 200 status.
    error undecodable(errc::bad_response, "gzip body: incorrect data check");
    undecodable.http_status = 200;
    const auto state = resolved(h.read({bad, good}, [&](const std::string& key) {
        return key == bad.key ? std::optional<result<std::string>>(undecodable)
                              : std::optional<result<std::string>>(good.body);
    }));
    CHECK(state.latest->key == good.key);
    REQUIRE(h.warnings.size() == 1);
    CHECK(h.warnings[0].find("incorrect data check") != std::string::npos);

    // A bad_response without a served body (a malformed HTTP answer) still fails the read.
    harness other;
    const auto why = failed(other.read({good}, [](const std::string&) {
        return std::optional<result<std::string>>(error(errc::bad_response, "bad HTTP"));
    }));
    CHECK(why.code == make_error_code(errc::bad_response));
}
