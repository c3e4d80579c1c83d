#include "engine/marker_check.hpp"

namespace mps3::engine {

std::optional<std::string> marker_check::on_head(std::string_view marker_key, std::string_view etag,
                                                 std::uint64_t content_length) {
    if (content_length == marker_body_bytes) {
        warned_etag_.clear();  // a bad marker after a good one is news again
        return std::nullopt;
    }
    if (etag == warned_etag_) {
        return std::nullopt;
    }
    warned_etag_ = std::string(etag);
    return "the marker " + std::string(marker_key) + " holds " + std::to_string(content_length) +
           " bytes, not \"\"; its content is ignored (only its changes are watched)";
}

}  // namespace mps3::engine
