// Opening replica files: creation and reopen with the expected pragmas, migration from an
// empty (version 0) database, all-or-nothing migrations, and the files we must refuse.
#include "replica/replica.hpp"
#include "replica/schema.hpp"
#include "replica_test_support.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

using namespace mps3::replica;

namespace {

using mps3::replica::testing::temp_dir;

// A plain SQLite connection, as another program (or an older mps3d) would have made the file.
void raw_exec(const std::filesystem::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    INFO((err != nullptr ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

std::int64_t raw_int(const std::filesystem::path& file, const std::string& sql) {
    auto db = sqlite::database::open(file.string(), false);
    REQUIRE(db.has_value());
    auto stmt = db->prepare(sql, "query");
    REQUIRE(stmt.has_value());
    REQUIRE(stmt->step().value());
    return stmt->column_int64(0);
}

}  // namespace

TEST_CASE("replica schema: a new file is created, stamped, in WAL mode, and reopens") {
    temp_dir dir;
    const auto file = dir.path / "store.db";
    {
        auto r = replica::open(file);
        REQUIRE(r.has_value());
        REQUIRE(r->set_meta("hello", "world").has_value());
    }
    CHECK(raw_int(file, "PRAGMA user_version") == schema_version);
    CHECK(raw_int(file, "PRAGMA application_id") == application_id);
    for (const char* table :
         {"kv", "outbox", "outbox_batch", "outbox_entry", "changes", "content_cache", "meta"}) {
        INFO(table);
        CHECK(raw_int(file, std::string("SELECT count(*) FROM sqlite_schema WHERE type = "
                                        "'table' AND name = '") +
                                table + "'") == 1);
    }
    auto r = replica::open(file);
    REQUIRE(r.has_value());
    CHECK(r->get_meta("hello").value() == std::optional<std::string>("world"));
}

TEST_CASE("replica schema: the connection settings (WAL, synchronous, foreign keys)") {
    temp_dir dir;
    const auto file = dir.path / "store.db";
    {
        auto r = replica::open(file);
        REQUIRE(r.has_value());
        auto s = r->settings();
        REQUIRE(s.has_value());
        CHECK(s->journal_mode == "wal");
        CHECK(s->synchronous == 2);  // FULL
        CHECK(s->foreign_keys);
        CHECK(s->busy_timeout_ms == 5000);
        CHECK(s->schema_version == schema_version);
    }
    {
        auto r = replica::open(file, {.synchronous = sync_mode::normal,
                                      .busy_timeout = std::chrono::milliseconds(250)});
        REQUIRE(r.has_value());
        auto s = r->settings();
        REQUIRE(s.has_value());
        CHECK(s->synchronous == 1);  // NORMAL
        CHECK(s->busy_timeout_ms == 250);
    }
    {
        auto r = replica::open(file, {.max_file_bytes = std::uint64_t{1024} * 1024});
        REQUIRE(r.has_value());
        auto s = r->settings();
        REQUIRE(s.has_value());
        CHECK(s->max_page_count * s->page_size == 1024 * 1024);
    }
}

TEST_CASE("replica schema: an empty version-0 database is migrated; a zero-length file too") {
    temp_dir dir;
    const auto file = dir.path / "empty.db";
    // A real SQLite file (header written) holding nothing: user_version 0, application_id 0.
    raw_exec(file, "CREATE TABLE scratch (x); DROP TABLE scratch;");
    REQUIRE(std::filesystem::file_size(file) > 0);
    CHECK(raw_int(file, "PRAGMA user_version") == 0);
    {
        auto r = replica::open(file);
        REQUIRE(r.has_value());
    }
    CHECK(raw_int(file, "PRAGMA user_version") == schema_version);

    const auto zero = dir.path / "zero.db";
    std::ofstream(zero).close();
    REQUIRE(std::filesystem::file_size(zero) == 0);
    auto r = replica::open(zero);
    REQUIRE(r.has_value());
    CHECK(raw_int(zero, "PRAGMA application_id") == application_id);
}

TEST_CASE("replica schema: migrations run forward in one transaction, all or nothing") {
    temp_dir dir;
    const auto file = dir.path / "m.db";
    auto db = sqlite::database::open(file.string(), true);
    REQUIRE(db.has_value());
    REQUIRE(schema::check_file(*db, "m.db", 3).has_value());

    // Step 2 fails: step 1 must not stay behind, and the version must stay 0.
    const std::vector<schema::migration> failing = {
        {1, "CREATE TABLE a (x);"},
        {2, "CREATE TABLE b (x); INSERT INTO no_such_table VALUES (1);"},
    };
    auto failed = schema::migrate(*db, "m.db", failing);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.err().code == mps3::errc::storage);
    CHECK(failed.err().message.find("migration to schema version 2 failed") != std::string::npos);
    CHECK(db->pragma_int("user_version").value() == 0);
    CHECK(raw_int(file, "SELECT count(*) FROM sqlite_schema") == 0);

    // From 0 to 2, then only the new step 3 on the next run.
    const std::vector<schema::migration> good = {
        {1, "CREATE TABLE a (x);"},
        {2, "CREATE TABLE b (x);"},
    };
    REQUIRE(schema::migrate(*db, "m.db", good).has_value());
    CHECK(db->pragma_int("user_version").value() == 2);
    auto more = good;
    more.push_back({3, "ALTER TABLE a ADD COLUMN y;"});
    REQUIRE(schema::migrate(*db, "m.db", more).has_value());
    CHECK(db->pragma_int("user_version").value() == 3);
    CHECK(raw_int(file, "SELECT count(*) FROM pragma_table_info('a')") == 2);
    // Up to date: nothing runs (step 3 would fail a second time).
    REQUIRE(schema::migrate(*db, "m.db", more).has_value());

    // A gap in the chain is an error, not a silent skip.
    auto db2 = sqlite::database::open((dir.path / "gap.db").string(), true);
    REQUIRE(db2.has_value());
    const std::vector<schema::migration> gap = {{1, "CREATE TABLE a (x);"},
                                                {3, "CREATE TABLE c (x);"}};
    auto gapped = schema::migrate(*db2, "gap.db", gap);
    REQUIRE_FALSE(gapped.has_value());
    CHECK(gapped.err().message.find("no migration from schema version 1") != std::string::npos);
}

TEST_CASE("replica schema: a file from a newer schema version is refused, untouched") {
    temp_dir dir;
    const auto file = dir.path / "newer.db";
    {
        auto r = replica::open(file);
        REQUIRE(r.has_value());
    }
    raw_exec(file, "PRAGMA user_version = " + std::to_string(schema_version + 1));
    auto r = replica::open(file);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == mps3::errc::storage);
    CHECK(r.err().message.find("written by a newer mps3d (schema version " +
                               std::to_string(schema_version + 1)) != std::string::npos);
    CHECK(raw_int(file, "PRAGMA user_version") == schema_version + 1);
}

TEST_CASE("replica schema: a file that is not SQLite is a clear storage error, not a crash") {
    temp_dir dir;
    const auto file = dir.path / "garbage.db";
    {
        std::ofstream out(file, std::ios::binary);
        std::string junk(8192, '\0');
        for (std::size_t i = 0; i < junk.size(); ++i) {
            junk[i] = static_cast<char>((i * 7919 + 13) & 0xff);
        }
        out << junk;
    }
    const auto size = std::filesystem::file_size(file);
    auto r = replica::open(file);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == mps3::errc::storage);
    MESSAGE(r.err().message);
    CHECK(r.err().message.find("garbage.db") != std::string::npos);
    CHECK(r.err().message.find("file is not a database (SQLITE_NOTADB)") != std::string::npos);
    CHECK(std::filesystem::file_size(file) == size);  // never "repaired" by overwriting

    // A text file that happens to be short.
    const auto text = dir.path / "notes.txt";
    std::ofstream(text) << "just some notes, not a database\n";
    auto t = replica::open(text);
    REQUIRE_FALSE(t.has_value());
    CHECK(t.err().code == mps3::errc::storage);
}

TEST_CASE("replica schema: a corrupted replica fails with SQLITE_CORRUPT, never crashes") {
    temp_dir dir;
    const auto file = dir.path / "corrupt.db";
    {
        auto r = replica::open(file);
        REQUIRE(r.has_value());
        std::vector<remote_change> diff;
        diff.reserve(2000);
        for (int i = 0; i < 2000; ++i) {
            diff.push_back(
                {"key/" + std::to_string(i), confirmed_value{std::string(100, 'x'), "v", "b", ""}});
        }
        REQUIRE(r->apply_remote(diff).has_value());
    }
    // Checkpointed on close: the data is in the main file. Smash the pages after the first.
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(4096);
        const std::string noise(std::size_t{16} * 4096, '\x5a');
        f.write(noise.data(), static_cast<std::streamsize>(noise.size()));
    }
    auto r = replica::open(file);
    if (!r.has_value()) {
        CHECK(r.err().code == mps3::errc::storage);
        MESSAGE(r.err().message);
        return;
    }
    // Opening may succeed (the header and schema page are intact); reads then fail cleanly.
    auto listed = r->list("key/", 5000);
    REQUIRE_FALSE(listed.has_value());
    CHECK(listed.err().code == mps3::errc::storage);
    MESSAGE(listed.err().message);
    CHECK(listed.err().message.find("SQLITE_CORRUPT") != std::string::npos);
}

TEST_CASE("replica schema: another application's database is refused") {
    temp_dir dir;
    const auto other_app = dir.path / "other.db";
    raw_exec(other_app, "PRAGMA application_id = 42; CREATE TABLE x (y);");
    auto a = replica::open(other_app);
    REQUIRE_FALSE(a.has_value());
    CHECK(a.err().message.find("not an mps3d replica (application_id 42") != std::string::npos);

    const auto unstamped = dir.path / "plain.db";
    raw_exec(unstamped, "CREATE TABLE notes (body TEXT);");
    auto b = replica::open(unstamped);
    REQUIRE_FALSE(b.has_value());
    CHECK(b.err().message.find("an SQLite database of another application") != std::string::npos);
    CHECK(raw_int(unstamped, "PRAGMA application_id") == 0);  // not stamped by the attempt

    auto missing = replica::open(dir.path / "absent.db", {.create = false});
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.err().message.find("SQLITE_CANTOPEN") != std::string::npos);
}
