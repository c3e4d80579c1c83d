// Reading a manifest's state from the bucket (BUCKET_FORMAT.md section 6) as a sans-io state
// machine: it says "LIST the entries after this key", "GET these entry bodies", and ends with the
// resolved state or an error; a thin coroutine (store::impl::async_read_remote) performs. It also
// owns what one read leaves to the next: the cache of parsed entry bodies (entries are
// immutable, so a poll GETs only the entries it has not seen) and the count of reads in which an
// entry was unreadable. Unit-tested without a server (tests/unit/engine_manifest_reader_test).
#pragma once

#include "protocol/entry_body.hpp"
#include "protocol/resolver.hpp"

#include <mps3/result.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace mps3::engine {

/// What a LIST + resolve of the bucket gave.
struct remote_state {
    protocol::manifest_state files;  // the whole state (every content ref)
    std::optional<protocol::entry_key> latest;
    std::optional<protocol::timestamp> newest_ts;  // of latest
    std::vector<protocol::entry_key> garbage;
};

namespace read_do {
struct list_entries {  // LIST every page of prefix, after start_after; answer with on_listed
    std::string prefix;
    std::string start_after;
};
struct get_bodies {  // GET each key (in parallel, any order); answer with on_bodies
    std::vector<std::string> keys;
};
struct resolved {
    remote_state state;
};
struct failed {
    error why;
};
}  // namespace read_do

using read_step =
    std::variant<read_do::list_entries, read_do::get_bodies, read_do::resolved, read_do::failed>;

class manifest_reader {
  public:
    struct limits {
        // An entry collected between LIST and GET (or not fetched) makes the read plan again;
        // a bucket that keeps changing under it still ends. A round that found unreadable
        // entries does not count: it shrank the candidates for good, so a read ends after at
        // most one round per listed entry, and hostile entries spaced wider than the replay
        // window cannot fail it.
        int max_rounds = 5;
        // Reads in which an entry must be unreadable before it is ignored for good (until then it
        // is skipped for that read only, and fetched again by the next): a server that lists an
        // object while still storing it (s3rver does) serves a cut-off body once, and ignoring
        // that entry for ever would lose its writes here.
        unsigned reads_before_giving_up = 3;
        // An entry naming more refs than this is refused (store_config::max_entry_files).
        std::size_t max_entry_files = static_cast<std::size_t>(-1);
    };

    manifest_reader(std::string manifest_key, std::function<void(const std::string&)> warn,
                    limits lim);

    /// Starts a read; server_now places the listing's start (entries stamped too far ahead are
    /// not listed). Only one read at a time.
    read_step begin(protocol::timestamp server_now);
    read_step on_listed(const result<std::vector<protocol::listed_object>>& listing);
    /// One answer per key of the get_bodies step, in its order; nullopt for a key not fetched
    /// (the driver stopped taking new GETs after a failure). A body is the decoded JSON text.
    /// errc::too_large (the body was over the driver's limit) gives that entry up at once, as a
    /// body that does not parse is given up after reads_before_giving_up reads; an
    /// errc::bad_response carrying a 2xx status is a body the server served but that could not
    /// be decoded (gzip): unreadable, like one that is not JSON. Each entry skipped is warned
    /// about once.
    read_step on_bodies(std::span<const std::optional<result<std::string>>> bodies,
                        protocol::timestamp server_now);

    /// Bodies cached (parsed entries still listed), for tests and status.
    [[nodiscard]] std::size_t cached_bodies() const { return body_cache_.size(); }

  private:
    read_step list(protocol::timestamp server_now);
    /// Warns once about each listed object under the prefix that is neither an entry of this
    /// manifest nor of another manifest whose name extends it ("M@x" for "M"): junk.
    void warn_about_strays(std::span<const protocol::listed_object> listing);
    /// Counts an unreadable read of `key` (all reads at once when `for_good`); warns the first
    /// time only.
    void note_unreadable(const std::string& key, const error& why, bool for_good);
    read_step replan(protocol::timestamp server_now, bool found_unreadable);
    read_step resolve();
    void warn(const std::string& message) const;

    std::string manifest_key_;
    std::function<void(const std::string&)> warn_;
    limits limits_;

    std::map<std::string, protocol::entry_body, std::less<>> body_cache_;
    std::map<std::string, unsigned, std::less<>> unreadable_reads_;
    // Objects under the prefix already warned about, pruned to what is still listed.
    std::set<std::string, std::less<>> strays_warned_;

    // The read in progress.
    int round_ = 0;
    std::vector<std::string> skipped_;  // unreadable entries skipped in this read
    protocol::resolve_plan plan_;
    std::vector<std::string> asked_;  // the keys of the last get_bodies
};

}  // namespace mps3::engine
