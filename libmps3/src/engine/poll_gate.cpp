#include "engine/poll_gate.hpp"

#include "s3/time_format.hpp"

namespace mps3::engine {

std::string marker_view::serialize() const {
    return etag + '\n' + last_modified + '\n' + checked_at;
}

marker_view marker_view::parse(std::string_view text) {
    marker_view out;
    const auto first = text.find('\n');
    const auto second = first == std::string_view::npos ? first : text.find('\n', first + 1);
    if (second == std::string_view::npos) {
        return out;  // an old or empty record: treat as "never seen"
    }
    out.etag = text.substr(0, first);
    out.last_modified = text.substr(first + 1, second - first - 1);
    out.checked_at = text.substr(second + 1);
    return out;
}

poll_gate::poll_gate(std::chrono::milliseconds full_list_interval)
    : full_list_interval_(full_list_interval) {}

bool poll_gate::may_skip_list(const marker_view& seen, time_point now) const {
    if (!last_full_list_ || now - *last_full_list_ > full_list_interval_) {
        return false;
    }
    const auto before = marker_view::parse(record_);
    if (before.last_modified.empty() || seen.last_modified.empty() || before.etag != seen.etag ||
        before.last_modified != seen.last_modified) {
        return false;
    }
    const auto modified = s3::detail::parse_http_date(before.last_modified);
    const auto checked = s3::detail::parse_http_date(before.checked_at);
    // Whole seconds both: "checked in a later second" is checked >= modified + 1 s.
    return modified && checked && *checked >= *modified + std::chrono::seconds(1);
}

void poll_gate::listing(const marker_view& seen, time_point now) {
    last_full_list_ = now;
    record_ = seen.serialize();
}

}  // namespace mps3::engine
