// The RAII layer over SQLite: binding (text with NULs, NULL, the empty-BLOB upper bound),
// error messages, the statement cache, and the transaction guard.
#include "replica/sqlite.hpp"
#include "replica_test_support.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <string>

using namespace mps3::replica::sqlite;

namespace {

using mps3::replica::testing::temp_dir;

database open_db(const temp_dir& dir) {
    auto db = database::open((dir.path / "t.db").string(), true);
    REQUIRE(db.has_value());
    REQUIRE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)", "create").has_value());
    return std::move(*db);
}

std::int64_t count_rows(database& db) {
    auto n = db.prepare("SELECT count(*) FROM t", "count");
    REQUIRE(n.has_value());
    REQUIRE(n->step().value());
    return n->column_int64(0);
}

}  // namespace

TEST_CASE("replica sqlite: text round-trips byte for byte, NULs and empty strings included") {
    temp_dir dir;
    auto db = open_db(dir);
    const std::string key("a\0b", 3);
    auto ins = db.prepare("INSERT INTO t VALUES (?1, ?2)", "insert");
    REQUIRE(ins.has_value());
    REQUIRE(ins->bind(1, key).bind(2, std::string_view()).run().has_value());
    ins->reset();
    REQUIRE(ins->bind(1, "null-value").bind(2, std::optional<std::string>()).run().has_value());

    auto sel = db.prepare("SELECT k, v FROM t ORDER BY k", "select");
    REQUIRE(sel.has_value());
    REQUIRE(sel->step().value());
    CHECK(sel->column_text(0) == key);
    CHECK(sel->column_optional_text(1) == std::optional<std::string>(""));
    REQUIRE(sel->step().value());
    CHECK(sel->column_text(0) == "null-value");
    CHECK(sel->column_is_null(1));
    CHECK(sel->column_optional_text(1) == std::nullopt);
    CHECK_FALSE(sel->step().value());
}

TEST_CASE("replica sqlite: an empty BLOB sorts after every text key") {
    temp_dir dir;
    auto db = open_db(dir);
    REQUIRE(db.exec("INSERT INTO t VALUES ('a', ''), (char(1114111), ''), ('zzz', '')", "insert")
                .has_value());
    auto sel = db.prepare("SELECT count(*) FROM t WHERE k < ?1", "count below");
    REQUIRE(sel.has_value());
    REQUIRE(sel->bind_empty_blob(1).step().value());
    CHECK(sel->column_int64(0) == 3);
}

TEST_CASE("replica sqlite: errors name the operation, the SQLite message and the code") {
    temp_dir dir;
    auto db = open_db(dir);
    auto bad = db.prepare("SELEC nonsense", "parse nonsense");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.err().code == mps3::errc::storage);
    CHECK(bad.err().message.find("prepare parse nonsense failed: ") == 0);
    CHECK(bad.err().message.find("SQLITE_ERROR") != std::string::npos);

    REQUIRE(db.exec("INSERT INTO t VALUES ('k', 'v')", "insert").has_value());
    auto dup = db.prepare("INSERT INTO t VALUES ('k', 'w')", "insert duplicate");
    REQUIRE(dup.has_value());
    auto done = dup->run();
    REQUIRE_FALSE(done.has_value());
    CHECK(done.err().message ==
          "insert duplicate failed: UNIQUE constraint failed: t.k (SQLITE_CONSTRAINT)");

    // A binding error surfaces at the step, with the statement's label.
    auto range = db.prepare("SELECT ?1", "select one");
    REQUIRE(range.has_value());
    auto row = range->bind(7, std::int64_t{1}).step();
    REQUIRE_FALSE(row.has_value());
    CHECK(row.err().message.find("select one (binding a parameter) failed") == 0);
    CHECK(row.err().message.find("SQLITE_RANGE") != std::string::npos);
}

TEST_CASE("replica sqlite: cached statements are reused, reset after each lease, never nested") {
    temp_dir dir;
    auto db = open_db(dir);
    REQUIRE(db.exec("INSERT INTO t VALUES ('a', '1'), ('b', '2')", "insert").has_value());
    sqlite3_stmt* first = nullptr;
    {
        auto lease = db.cached("SELECT v FROM t WHERE k = ?1", "read");
        REQUIRE(lease.has_value());
        first = (*lease)->handle();
        REQUIRE((*lease)->bind(1, "a").step().value());
        CHECK((*lease)->column_text(0) == "1");

        auto nested = db.cached("SELECT v FROM t WHERE k = ?1", "read");
        REQUIRE_FALSE(nested.has_value());
        CHECK(nested.err().message.find("nested use") != std::string::npos);
    }
    auto again = db.cached("SELECT v FROM t WHERE k = ?1", "read");
    REQUIRE(again.has_value());
    CHECK((*again)->handle() == first);
    // The previous lease cleared its bindings: an unbound parameter is NULL, so no row.
    CHECK_FALSE((*again)->step().value());
}

TEST_CASE("replica sqlite: the transaction guard rolls back unless committed") {
    temp_dir dir;
    auto db = open_db(dir);
    {
        auto txn = transaction::begin(db, transaction::kind::immediate);
        REQUIRE(txn.has_value());
        REQUIRE(db.exec("INSERT INTO t VALUES ('gone', '')", "insert").has_value());
        CHECK(count_rows(db) == 1);
    }
    CHECK(db.autocommit());
    CHECK(count_rows(db) == 0);
    {
        auto txn = transaction::begin(db, transaction::kind::immediate);
        REQUIRE(txn.has_value());
        REQUIRE(db.exec("INSERT INTO t VALUES ('kept', '')", "insert").has_value());
        REQUIRE(txn->commit().has_value());
        CHECK_FALSE(txn->commit().has_value());  // once only
    }
    CHECK(count_rows(db) == 1);
}

TEST_CASE("replica sqlite: opening a missing directory fails with the path in the message") {
    temp_dir dir;
    auto db = database::open((dir.path / "no" / "such" / "dir.db").string(), true);
    REQUIRE_FALSE(db.has_value());
    CHECK(db.err().code == mps3::errc::storage);
    CHECK(db.err().message.find("dir.db failed: ") != std::string::npos);
    CHECK(db.err().message.find("SQLITE_CANTOPEN") != std::string::npos);
}
