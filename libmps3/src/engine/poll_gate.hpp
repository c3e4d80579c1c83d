// Whether a poll must LIST the manifest, or may stop after one HEAD of the last-change marker
// (BUCKET_FORMAT.md section 7 step 6; docs/durability.md "Polling"), sans-io.
//
// The marker is rewritten after every entry, always with the same two bytes: its ETag (an MD5 of
// the body) never changes, so If-None-Match alone would hide every change after the first. Its
// Last-Modified does change, at 1 s resolution: nothing was written since our last LIST iff the
// marker's Last-Modified and ETag are unchanged AND the HEAD that preceded that LIST was answered
// in a later second than that Last-Modified (a marker rewritten in the same second would keep
// the same Last-Modified). A full LIST every full_list_interval also catches a writer that
// crashed between its entry and its marker.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::engine {

/// What a HEAD of the marker showed.
struct marker_view {
    std::string etag;
    std::string last_modified;  // RFC 1123, 1 s resolution
    std::string checked_at;     // the Date of that HEAD's response
    /// The form recorded in the replica (meta_key::marker_etag) with the state it led to.
    [[nodiscard]] std::string serialize() const;
    /// An old or empty record parses as "never seen".
    static marker_view parse(std::string_view text);
};

/// Even with an unchanged marker, LIST this often: a writer may crash between entry and marker.
inline constexpr std::chrono::seconds default_full_list_interval{30};

class poll_gate {
  public:
    using time_point = std::chrono::steady_clock::time_point;

    explicit poll_gate(std::chrono::milliseconds full_list_interval = default_full_list_interval);

    /// True when this poll may stop after the HEAD: the marker seen now provably did not change
    /// since the last applied LIST of this process, and a full LIST is not due. A process's first
    /// poll always lists (a writer may have crashed between entry and marker while it was down).
    [[nodiscard]] bool may_skip_list(const marker_view& seen, time_point now) const;
    /// A LIST starts after the HEAD that showed `seen`: its record, kept once the state it leads
    /// to is applied completely (record()).
    void listing(const marker_view& seen, time_point now);
    /// What to persist with the applied state: the record of the LIST it came from.
    [[nodiscard]] const std::string& record() const { return record_; }
    /// The apply failed or was incomplete: the next poll must LIST.
    void forget() { record_.clear(); }

  private:
    std::chrono::milliseconds full_list_interval_;
    std::string record_;                        // a serialized marker_view; "" = none
    std::optional<time_point> last_full_list_;  // none: this process has not listed yet
};

}  // namespace mps3::engine
