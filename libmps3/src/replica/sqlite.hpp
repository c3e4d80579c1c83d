// A thin RAII layer over the SQLite C API: a connection, prepared statements (with a cache for
// the hot paths), and a transaction guard that rolls back unless committed. Every failure comes
// back as mps3::error{errc::storage, "<what> failed: <sqlite message> (<code>)"}, never as an
// exception or a crash, so the replica can report a full disk and keep serving reads.
#pragma once

#include <mps3/result.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace mps3::replica::sqlite {

/// The storage error for a failed SQLite call: "<what> failed: <message> (<SQLITE_CODE>)".
/// db may be null (the message then comes from the result code alone).
error make_error(sqlite3* db, int rc, std::string_view what);

/// "SQLITE_FULL", "SQLITE_BUSY", ...: the name of a result code's primary code.
std::string_view code_name(int rc) noexcept;

/// One prepared statement. Binding errors are remembered and reported by the next step(), so
/// call sites can chain binds without checking each one.
class statement {
  public:
    statement() = default;
    statement(sqlite3_stmt* stmt, std::string label) noexcept;
    statement(statement&& other) noexcept;
    statement& operator=(statement&& other) noexcept;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement();

    // Parameters are 1-based, as in SQLite. Text is bound as TEXT with its exact length, so
    // keys may hold any bytes, NUL included.
    statement& bind(int index, std::int64_t value);
    statement& bind(int index, std::string_view text);
    statement& bind(int index, const std::string& text) {
        return bind(index, std::string_view(text));
    }
    statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    statement& bind(int index, const std::optional<std::string>& text);  // nullopt -> NULL
    statement& bind_null(int index);
    /// A zero-length BLOB: SQLite orders every TEXT before every BLOB, so `key < x''` holds for
    /// every text key. Used as the "no upper bound" of a range scan, which keeps one SQL text.
    statement& bind_empty_blob(int index);

    /// Runs one step: true when a row is available, false when done.
    result<bool> step();
    /// Steps to completion, expecting no row (INSERT, UPDATE, DELETE, DDL).
    status run();

    [[nodiscard]] std::int64_t column_int64(int index) const;
    [[nodiscard]] std::string column_text(int index) const;
    [[nodiscard]] std::optional<std::string> column_optional_text(int index) const;
    [[nodiscard]] bool column_is_null(int index) const;

    /// Ends the current execution and clears the bindings. A statement left mid-result would
    /// keep its read transaction open, which stops WAL checkpoints; leases call this for you.
    void reset() noexcept;

    [[nodiscard]] const std::string& label() const noexcept { return label_; }
    /// Set while a lease holds this (cached) statement: a second, nested lease would reset
    /// the first user's rows under it, so database::cached refuses it.
    bool leased = false;
    [[nodiscard]] sqlite3_stmt* handle() const noexcept { return stmt_; }

  private:
    sqlite3_stmt* stmt_ = nullptr;
    std::string label_;  // what the statement does, for error messages ("insert outbox row")
    int bind_rc_ = 0;    // first binding failure since the last reset, 0 (SQLITE_OK) if none
};

/// A cached statement borrowed for one use: reset (and its bindings cleared) when the lease
/// ends, so the next user starts clean and no read transaction is left open.
class statement_lease {
  public:
    explicit statement_lease(statement& s) noexcept : stmt_(&s) { s.leased = true; }
    statement_lease(statement_lease&& other) noexcept : stmt_(other.stmt_) {
        other.stmt_ = nullptr;
    }
    statement_lease& operator=(statement_lease&&) = delete;
    statement_lease(const statement_lease&) = delete;
    statement_lease& operator=(const statement_lease&) = delete;
    ~statement_lease() {
        if (stmt_ != nullptr) {
            stmt_->reset();
            stmt_->leased = false;
        }
    }

    statement* operator->() const noexcept { return stmt_; }
    statement& operator*() const noexcept { return *stmt_; }

  private:
    statement* stmt_;
};

/// One connection. Move-only; closing finalizes the cached statements first.
class database {
  public:
    database() = default;
    database(database&&) noexcept = default;
    database& operator=(database&&) noexcept = default;
    database(const database&) = delete;
    database& operator=(const database&) = delete;
    ~database() = default;

    /// Opens (creating when asked) a database file. The file is not read yet: SQLite opens
    /// lazily, so a file that is not a database fails at the first statement, not here.
    static result<database> open(const std::string& path, bool create);

    /// Runs SQL text that returns no rows (may hold several statements: schema scripts).
    status exec(std::string_view sql, std::string_view what);

    /// A fresh statement, finalized when it goes out of scope (for one-off SQL).
    result<statement> prepare(std::string_view sql, std::string_view label);

    /// A statement prepared once per connection and kept (keyed by its SQL text): the hot
    /// paths skip parsing and planning on every call.
    result<statement_lease> cached(std::string_view sql, std::string_view label);

    /// The single integer a PRAGMA returns (user_version, application_id, page_size...).
    result<std::int64_t> pragma_int(std::string_view pragma);
    /// The single text a PRAGMA returns (journal_mode...).
    result<std::string> pragma_text(std::string_view pragma);

    [[nodiscard]] std::int64_t last_insert_rowid() const noexcept;
    [[nodiscard]] std::int64_t changes() const noexcept;
    /// True while no transaction is open (SQLite may roll one back by itself after an I/O or
    /// disk-full error, and the guard must not roll back twice).
    [[nodiscard]] bool autocommit() const noexcept;
    [[nodiscard]] sqlite3* handle() const noexcept { return db_.get(); }

  private:
    struct closer {
        void operator()(sqlite3* db) const noexcept;
    };
    std::unique_ptr<sqlite3, closer> db_;
    // Declared after db_, so destroyed before it: statements are finalized before the
    // connection closes (sqlite3_close_v2 would otherwise keep a zombie connection around).
    std::map<std::string, statement, std::less<>> cache_;
};

/// BEGIN ... COMMIT, rolled back on destruction unless commit() succeeded. Writers use
/// `immediate` so the write lock is taken up front: a deferred transaction that upgrades to a
/// writer later can fail with SQLITE_BUSY after doing work, which busy_timeout cannot fix.
class transaction {
  public:
    enum class kind { deferred, immediate };

    static result<transaction> begin(database& db, kind k);
    /// A read transaction, or the one already open on db (a connection pinned to a snapshot
    /// by replica::hold_snapshot): then commit() and the destructor leave it open.
    static result<transaction> begin_read(database& db);

    transaction(transaction&& other) noexcept : db_(other.db_), joined_(other.joined_) {
        other.db_ = nullptr;
    }
    transaction& operator=(transaction&&) = delete;
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction();

    /// On failure the transaction is rolled back (by SQLite or by this guard): nothing of it is
    /// in the file.
    status commit();

  private:
    explicit transaction(database* db) noexcept : db_(db) {}
    void rollback() noexcept;

    database* db_;         // null once committed or rolled back, or when joined
    bool joined_ = false;  // begin_read found a transaction open: commit and rollback leave it
};

}  // namespace mps3::replica::sqlite
