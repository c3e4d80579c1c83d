// Line framing for the JSON-RPC stream: one message per '\n'-terminated line ("\r\n" tolerated).
// Fed whatever chunks the socket returns, it yields complete lines, and never holds more than
// one frame's worth of bytes whatever the peer sends: a frame over the limit is reported once and
// the rest of it is skipped up to the next newline without being stored.
//
// Usage:
//   splitter.feed(chunk);
//   while (auto f = splitter.next()) { ... f->text ... }
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::ipc {

inline constexpr std::size_t default_max_frame = std::size_t{16} << 20;  // 16 MiB

struct frame {
    enum class kind {
        line,      // text: one complete line, without its terminator
        oversized  // the current line passed max_frame bytes; its remainder will be skipped
    };
    kind type = kind::line;
    /// Valid until the next call to feed(), next() or finish().
    std::string_view text;
};

class line_splitter {
  public:
    /// max_frame: the most bytes a line may hold, terminator excluded.
    explicit line_splitter(std::size_t max_frame = default_max_frame);

    /// Hands over the next chunk. The chunk is read in place, not copied (only an incomplete
    /// trailing line is kept), so it must stay valid until next() returns nullopt; feed again
    /// only then.
    void feed(std::string_view chunk);

    /// The next frame of the chunk fed, or nullopt when the chunk is used up. Lines that are
    /// empty or only JSON whitespace (keep-alives, a stray "\r\n") are skipped.
    std::optional<frame> next();

    /// End of stream: the unterminated last line, if any (a peer may omit the final '\n' before
    /// it shuts down its side). The splitter is empty afterwards.
    std::optional<frame> finish();

    [[nodiscard]] std::size_t max_frame() const { return max_; }
    /// Bytes of an incomplete line held now (at most max_frame + 1); for tests and statistics.
    [[nodiscard]] std::size_t buffered() const { return partial_.size(); }
    /// True while the remainder of an oversized line is being skipped.
    [[nodiscard]] bool skipping() const { return skipping_; }

  private:
    std::optional<frame> complete(std::string_view line);
    void recycle();

    std::size_t max_;
    std::string_view chunk_;
    std::size_t pos_ = 0;
    std::string partial_;   // an incomplete line carried between chunks
    std::string returned_;  // the last line returned from partial_, kept alive for the caller
    bool skipping_ = false;
};

}  // namespace mps3::ipc
