#include "replica/sqlite.hpp"

#include <sqlite3.h>

#include <climits>
#include <string>
#include <utility>

namespace mps3::replica::sqlite {

std::string_view code_name(int rc) noexcept {
    switch (rc & 0xff) {
        case SQLITE_OK:
            return "SQLITE_OK";
        case SQLITE_ERROR:
            return "SQLITE_ERROR";
        case SQLITE_INTERNAL:
            return "SQLITE_INTERNAL";
        case SQLITE_PERM:
            return "SQLITE_PERM";
        case SQLITE_ABORT:
            return "SQLITE_ABORT";
        case SQLITE_BUSY:
            return "SQLITE_BUSY";
        case SQLITE_LOCKED:
            return "SQLITE_LOCKED";
        case SQLITE_NOMEM:
            return "SQLITE_NOMEM";
        case SQLITE_READONLY:
            return "SQLITE_READONLY";
        case SQLITE_INTERRUPT:
            return "SQLITE_INTERRUPT";
        case SQLITE_IOERR:
            return "SQLITE_IOERR";
        case SQLITE_CORRUPT:
            return "SQLITE_CORRUPT";
        case SQLITE_NOTFOUND:
            return "SQLITE_NOTFOUND";
        case SQLITE_FULL:
            return "SQLITE_FULL";
        case SQLITE_CANTOPEN:
            return "SQLITE_CANTOPEN";
        case SQLITE_PROTOCOL:
            return "SQLITE_PROTOCOL";
        case SQLITE_SCHEMA:
            return "SQLITE_SCHEMA";
        case SQLITE_TOOBIG:
            return "SQLITE_TOOBIG";
        case SQLITE_CONSTRAINT:
            return "SQLITE_CONSTRAINT";
        case SQLITE_MISMATCH:
            return "SQLITE_MISMATCH";
        case SQLITE_MISUSE:
            return "SQLITE_MISUSE";
        case SQLITE_RANGE:
            return "SQLITE_RANGE";
        case SQLITE_NOTADB:
            return "SQLITE_NOTADB";
        default:
            return "SQLITE_UNKNOWN";
    }
}

error make_error(sqlite3* db, int rc, std::string_view what) {
    std::string msg(what);
    msg += " failed: ";
    // sqlite3_errmsg is specific ("UNIQUE constraint failed: kv.key") but only describes the
    // connection's most recent error; fall back to the generic text when it does not match rc.
    if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
        msg += sqlite3_errmsg(db);
    } else {
        msg += sqlite3_errstr(rc);
    }
    msg += " (";
    msg += code_name(rc);
    msg += ")";
    if ((rc & 0xff) == SQLITE_FULL) {
        msg += "; the disk (or the replica's size limit) is full";
    }
    return error(errc::storage, std::move(msg));
}

// --- statement -------------------------------------------------------------------------------

statement::statement(sqlite3_stmt* stmt, std::string label) noexcept
    : stmt_(stmt), label_(std::move(label)) {}

statement::statement(statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      label_(std::move(other.label_)),
      bind_rc_(other.bind_rc_) {}

statement& statement::operator=(statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = std::exchange(other.stmt_, nullptr);
        label_ = std::move(other.label_);
        bind_rc_ = other.bind_rc_;
    }
    return *this;
}

statement::~statement() {
    sqlite3_finalize(stmt_);  // a no-op on null
}

namespace {

// SQLite takes lengths as int; a longer string cannot be bound (SQLITE_TOOBIG is what SQLite
// itself would answer past its own limit, which is far below INT_MAX anyway).
bool fits_int(std::size_t n) {
    return n <= static_cast<std::size_t>(INT_MAX);
}

}  // namespace

statement& statement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
        bind_rc_ = rc;
    }
    return *this;
}

statement& statement::bind(int index, std::string_view text) {
    int rc = SQLITE_TOOBIG;
    if (fits_int(text.size())) {
        // data() of an empty view may be null, which SQLite would bind as NULL, not ''.
        rc = sqlite3_bind_text(stmt_, index, text.empty() ? "" : text.data(),
                               static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
        bind_rc_ = rc;
    }
    return *this;
}

statement& statement::bind(int index, const std::optional<std::string>& text) {
    if (text) {
        return bind(index, std::string_view(*text));
    }
    return bind_null(index);
}

statement& statement::bind_null(int index) {
    const int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
        bind_rc_ = rc;
    }
    return *this;
}

statement& statement::bind_empty_blob(int index) {
    const int rc = sqlite3_bind_zeroblob(stmt_, index, 0);
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
        bind_rc_ = rc;
    }
    return *this;
}

result<bool> statement::step() {
    sqlite3* db = sqlite3_db_handle(stmt_);
    if (bind_rc_ != SQLITE_OK) {
        return make_error(nullptr, bind_rc_, label_ + " (binding a parameter)");
    }
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return make_error(db, rc, label_);
}

status statement::run() {
    for (;;) {
        auto row = step();
        if (!row) {
            return std::move(row).err();
        }
        if (!*row) {
            return success{};
        }
    }
}

std::int64_t statement::column_int64(int index) const {
    return sqlite3_column_int64(stmt_, index);
}

std::string statement::column_text(int index) const {
    // Bytes first, then length: sqlite3_column_bytes after sqlite3_column_text gives the
    // length of that text, embedded NULs included.
    const auto* text = sqlite3_column_text(stmt_, index);
    const int size = sqlite3_column_bytes(stmt_, index);
    if (text == nullptr || size <= 0) {
        return {};
    }
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::optional<std::string> statement::column_optional_text(int index) const {
    if (column_is_null(index)) {
        return std::nullopt;
    }
    return column_text(index);
}

bool statement::column_is_null(int index) const {
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

void statement::reset() noexcept {
    if (stmt_ != nullptr) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    bind_rc_ = SQLITE_OK;
}

// --- database --------------------------------------------------------------------------------

void database::closer::operator()(sqlite3* db) const noexcept {
    // close_v2: if a statement were still alive the connection would close when it is
    // finalized, instead of failing with SQLITE_BUSY and leaking.
    sqlite3_close_v2(db);
}

result<database> database::open(const std::string& path, bool create) {
    sqlite3* raw = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;  // one thread uses a connection
    if (create) {
        flags |= SQLITE_OPEN_CREATE;
    }
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    database db;
    db.db_.reset(raw);  // sqlite3_open_v2 may return a handle even on failure: close it too
    if (rc != SQLITE_OK) {
        return make_error(raw, rc, "open " + path);
    }
    sqlite3_extended_result_codes(raw, 1);
    return db;
}

status database::exec(std::string_view sql, std::string_view what) {
    const std::string text(sql);  // sqlite3_exec needs a NUL-terminated string
    char* errmsg = nullptr;
    const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &errmsg);
    sqlite3_free(errmsg);  // the same text is available from sqlite3_errmsg
    if (rc != SQLITE_OK) {
        return make_error(db_.get(), rc, what);
    }
    return success{};
}

namespace {

result<statement> prepare_with(sqlite3* db, std::string_view sql, std::string_view label,
                               unsigned flags) {
    if (!fits_int(sql.size())) {
        return make_error(nullptr, SQLITE_TOOBIG, "prepare " + std::string(label));
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return make_error(db, rc, "prepare " + std::string(label));
    }
    return statement(stmt, std::string(label));
}

}  // namespace

result<statement> database::prepare(std::string_view sql, std::string_view label) {
    return prepare_with(db_.get(), sql, label, 0);
}

result<statement_lease> database::cached(std::string_view sql, std::string_view label) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        // PERSISTENT: a hint that the statement lives long, so SQLite does not take its
        // memory from the lookaside pool meant for short-lived objects.
        auto prepared = prepare_with(db_.get(), sql, label, SQLITE_PREPARE_PERSISTENT);
        if (!prepared) {
            return std::move(prepared).err();
        }
        it = cache_.emplace(std::string(sql), std::move(*prepared)).first;
    }
    if (it->second.leased) {
        return error(errc::storage, "internal error: nested use of the cached statement \"" +
                                        std::string(label) + "\"");
    }
    return statement_lease(it->second);
}

result<std::int64_t> database::pragma_int(std::string_view pragma) {
    auto stmt = prepare("PRAGMA " + std::string(pragma), "PRAGMA " + std::string(pragma));
    if (!stmt) {
        return std::move(stmt).err();
    }
    auto row = stmt->step();
    if (!row) {
        return std::move(row).err();
    }
    if (!*row) {
        return error(errc::storage, "PRAGMA " + std::string(pragma) + " returned no row");
    }
    return stmt->column_int64(0);
}

result<std::string> database::pragma_text(std::string_view pragma) {
    auto stmt = prepare("PRAGMA " + std::string(pragma), "PRAGMA " + std::string(pragma));
    if (!stmt) {
        return std::move(stmt).err();
    }
    auto row = stmt->step();
    if (!row) {
        return std::move(row).err();
    }
    if (!*row) {
        return error(errc::storage, "PRAGMA " + std::string(pragma) + " returned no row");
    }
    return stmt->column_text(0);
}

std::int64_t database::last_insert_rowid() const noexcept {
    return sqlite3_last_insert_rowid(db_.get());
}

std::int64_t database::changes() const noexcept {
    return sqlite3_changes64(db_.get());
}

bool database::autocommit() const noexcept {
    return sqlite3_get_autocommit(db_.get()) != 0;
}

// --- transaction -----------------------------------------------------------------------------

result<transaction> transaction::begin(database& db, kind k) {
    const bool immediate = k == kind::immediate;
    auto stmt = db.cached(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED",
                          immediate ? "begin write transaction" : "begin read transaction");
    if (!stmt) {
        return std::move(stmt).err();
    }
    if (auto done = (*stmt)->run(); !done) {
        return std::move(done).err();
    }
    return transaction(&db);
}

result<transaction> transaction::begin_read(database& db) {
    if (!db.autocommit()) {
        transaction joined(nullptr);  // the outer transaction stays as it is
        joined.joined_ = true;
        return joined;
    }
    return begin(db, kind::deferred);
}

transaction::~transaction() {
    rollback();
}

status transaction::commit() {
    if (joined_) {
        return success{};  // the outer transaction (a held snapshot) stays open
    }
    if (db_ == nullptr) {
        return error(errc::storage, "commit failed: the transaction is no longer open");
    }
    auto stmt = db_->cached("COMMIT", "commit");
    if (!stmt) {
        rollback();
        return std::move(stmt).err();
    }
    if (auto done = (*stmt)->run(); !done) {
        // A failed COMMIT (SQLITE_BUSY, SQLITE_FULL, I/O) may leave the transaction open:
        // roll it back now so the connection is usable and nothing half-done survives.
        rollback();
        return std::move(done).err();
    }
    db_ = nullptr;
    return success{};
}

void transaction::rollback() noexcept {
    if (db_ == nullptr) {
        return;
    }
    database* db = std::exchange(db_, nullptr);
    if (db->autocommit()) {
        return;  // SQLite already rolled it back (after SQLITE_FULL, SQLITE_IOERR...)
    }
    // Not cached: a rollback must not depend on a statement cache lookup that could fail.
    sqlite3_exec(db->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace mps3::replica::sqlite
