// The vocabulary of a write, shared by every layer: the store API, the replica's outbox and
// change log, and the writer that turns queued writes into a manifest update. One
// representation end to end, so a write is never translated between look-alike types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mps3 {

/// One write of one key: a JSON value, or a delete. The value is compact JSON text, validated
/// once where it enters (the daemon's parser, or store::put); nothing after re-parses it.
struct write_op {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete the key

    friend bool operator==(const write_op&, const write_op&) = default;
};

/// Who made a change visible: this replica's own write, or another writer's entry (or our own
/// entry confirmed with a value other than the one we wrote).
enum class change_origin { local, remote };

/// A change-log sequence number: per store, strictly increasing from 1, never reused (even after
/// the log is trimmed). 0 means "before any change". The replica stores it as SQLite's signed
/// INTEGER and converts at that boundary only.
using change_seq = std::uint64_t;

}  // namespace mps3
