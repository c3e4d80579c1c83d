// The replica's schema: recognising our files (PRAGMA application_id) and migrating them
// forward (PRAGMA user_version), all pending steps in one transaction.
#pragma once

#include "replica/sqlite.hpp"

#include <mps3/result.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mps3::replica::schema {

/// One forward step: the SQL that takes a file from version - 1 to version.
struct migration {
    std::int64_t version;
    std::string_view sql;
};

/// Every migration this build knows, in order; the last one's version is schema_version.
std::span<const migration> migrations();

/// Reads the header and refuses a file we must not touch: not SQLite (or corrupt), another
/// application's database, or a schema version newer than `supported`. Call before anything
/// writes (switching to WAL writes the header). `name` labels the errors (the file path).
status check_file(sqlite::database& db, std::string_view name, std::int64_t supported);

/// Applies the steps above the file's user_version, then sets user_version and
/// application_id, in one IMMEDIATE transaction: a failure (or a crash) leaves the file at its
/// old version, and two processes opening a new file at once migrate it only once.
status migrate(sqlite::database& db, std::string_view name, std::span<const migration> steps);

}  // namespace mps3::replica::schema
