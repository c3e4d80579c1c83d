// An independent reader and checker of an MPS3 bucket, written from ../shared/BUCKET_FORMAT.md
// (sections 3 to 7) alone. It shares no code with libmps3/src/protocol or libmps3/src/json (the
// code under test): only the S3 client and RapidJSON. The compatibility tests compare what
// mps3::store reads with what this reader computes, and check every entry mps3d writes.
//
// Where the format leaves a case open (garbage in the bucket), this reader makes the project's
// choices, documented in docs/bucket-format.md:
//   - an entry key must match `M@<digits>_<session>_<cnt2>` in full (the suffix is anchored),
//   - an entry whose body is not JSON, not an object, nested deeper than 512 levels or without an
//     object "files" is unreadable: never the latest, never replayed (the previous valid entry
//     is used),
//   - a member of "files" that is not an object with a string "version" is left out of the state;
//     a member of "update.files" that is neither null nor such an object is ignored; an "update"
//     (or "update.files") that is not an object is ignored,
//   - a content object that is missing or not JSON (or nested deeper than 512 levels) gives the
//     key no value here (bucket_state::bad_content); mps3::store keeps the key's previous value.
//   - an object stored with `Content-Encoding: gzip` is decoded first (zlib, not libmps3's codec);
//     one that does not decode, or has another encoding, counts as not JSON.
//   - section 10 (versioned mode, read_options/check_options::versioned): content is read as
//     GET <key>?versionId=<version>; an empty version, a 404 or a 400 (a version id the server
//     cannot parse) is missing content.
#pragma once

#include <mps3/result.hpp>
#include <mps3/s3/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mps3::test::spec {

// --- Section 3: entry keys -----------------------------------------------------------------------

/// Entries within this many ms of the latest are replayed; an entry is valid iff its stamp is
/// within this many ms of its LastModified.
inline constexpr std::int64_t window_ms = 5000;
/// A reader lists entries stamped up to this far in the future.
inline constexpr std::int64_t lookahead_ms = 10000;

/// n in base 32, digits 0-9a-v, left-padded with '0' to `width`.
std::string b32(std::uint64_t n, std::size_t width = 0);
/// b32(2^42 - 1 - t) padded to 9 characters.
std::string ts9(std::int64_t t_ms);
/// b32(1023 - n) padded to 2 characters: "vv" for the first write of a session.
std::string cnt2(unsigned n);
/// "M@<ts9(t)>_<session>_<cnt2(n)>".
std::string entry_key(std::string_view manifest, std::int64_t t_ms, std::string_view session,
                      unsigned n);
/// The local clock, epoch ms (the test servers run on this machine).
std::int64_t now_ms();

struct parsed_key {
    std::string key;
    std::string ts_digits, session, counter;
    std::optional<std::int64_t> ts;  // nullopt: no base-32 digit leads (NaN for MPS3)
};

/// The entry of manifest M named by object_key, or nullopt for anything else under "M@".
std::optional<parsed_key> parse_entry_key(std::string_view manifest, std::string_view object_key);

/// "<bucket>/<key>" split at the first '/'; nullopt if either part would be empty.
std::optional<std::pair<std::string, std::string>> split_ref(std::string_view ref);

// --- JSON helpers (RapidJSON, no libmps3 code) ---------------------------------------------------

/// Compact form of a JSON text, or nullopt when it is not JSON (invalid UTF-8, NUL, trailing
/// data, deeper than 512 levels).
std::optional<std::string> compact(std::string_view text);
/// 2-space indented, as MPS3's JSON.stringify(value, null, 2); nullopt when not JSON.
std::optional<std::string> pretty(std::string_view text);
/// A JSON string literal for s.
std::string quote(std::string_view s);

// --- Section 6: the state ------------------------------------------------------------------------

struct read_options {
    unsigned page_size = 0;  // max-keys per LIST page; 0: the server's default
    /// Section 10 (MPS3's useVersioning): content is read as GET <key>?versionId=<version>,
    /// not GET <key>@<version>.
    bool versioned = false;
    std::optional<std::int64_t> now_ms;  // the server's time for start-after; default: now_ms()
};

struct bucket_state {
    std::map<std::string, std::string> values;    // key -> compact JSON, keys of this bucket
    std::map<std::string, std::string> versions;  // every ref of state.files -> version
    std::string files_json;                       // state.files, compact (a writer's next "files")
    std::string latest;                           // key of the latest entry; empty: none
    std::optional<std::int64_t> latest_ts;
    std::vector<std::string> replayed;     // oldest first, latest last
    std::vector<std::string> invalid;      // entries failing the validity rule
    std::vector<std::string> unreadable;   // valid entries whose body is unusable
    std::vector<std::string> foreign;      // other keys under "M@"
    std::vector<std::string> bad_content;  // "<key>@<version>" (versioned: "<key>?versionId=<v>")
    unsigned pages = 0;
    std::size_t listed = 0;
};

/// Section 6, following every list page.
boost::asio::awaitable<result<bucket_state>> read_bucket(s3::client& client, std::string bucket,
                                                         std::string manifest,
                                                         read_options options);

/// read_bucket(...).values with default options.
boost::asio::awaitable<result<std::map<std::string, std::string>>> read_store(s3::client& client,
                                                                              std::string bucket,
                                                                              std::string manifest);

// --- Sections 3-5 and 7: what a writer must have written -----------------------------------------

struct check_options {
    /// Writes were serialised (each writer had seen every older entry): every entry's "files"
    /// must equal the state resolved from the entries older than it, and its stamp must be
    /// later than the next older valid entry's (section 7.1). Otherwise a difference is
    /// allowed only for refs that an older entry inside the replay window touched (a concurrent
    /// write the writer could not have seen, which readers replay anyway).
    bool strict_snapshots = false;
    /// Entries of these sessions are used to resolve states but not checked (test fixtures).
    std::set<std::string> skip_sessions;
    /// Keys under "M@" that are not entries are not a violation.
    bool allow_foreign = false;
    /// Section 10: content is checked at <key>?versionId=<version>.
    bool versioned = false;
};

struct check_report {
    std::vector<std::string> violations;  // human-readable, one per broken rule and object
    std::size_t entries_checked = 0;
    std::size_t content_checked = 0;
};

/// Lists every object under "M@" (all pages, no start-after) and checks each entry not skipped:
/// key pattern, ts9 of 9 characters, session of 3 lower-case hex, cnt2 of 2 characters, counters
/// descending within a session, |ts - LastModified| < 5000 ms, Content-Type application/json,
/// a body with a complete "files" (no nulls) and an "update" with "files" whose every put names
/// an existing JSON content object with Content-Type application/json; and that the marker M
/// exists with the body "" once an entry was checked. Fails only when the bucket cannot be read.
boost::asio::awaitable<result<check_report>> check_entries(s3::client& client, std::string bucket,
                                                           std::string manifest,
                                                           check_options options);

}  // namespace mps3::test::spec
