// Whether the last-change marker holds what the format says it holds, sans-io. Every writer
// stores `""` (2 bytes) in it; readers only HEAD it, so whatever else a stranger stores there is
// never downloaded and changes nothing but the poll's decision to LIST. It is still worth one
// warning: an operator looking for why MPS3 clients misbehave wants to know.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::engine {

/// The marker's body is always the JSON empty string.
inline constexpr std::uint64_t marker_body_bytes = 2;

class marker_check {
  public:
    /// After each HEAD of the marker: a warning the first time a given marker object (by ETag)
    /// is not 2 bytes long, nullopt otherwise (a good marker, or one already warned about).
    std::optional<std::string> on_head(std::string_view marker_key, std::string_view etag,
                                       std::uint64_t content_length);

  private:
    std::string warned_etag_;  // the last bad marker warned about
};

}  // namespace mps3::engine
