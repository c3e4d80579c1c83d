#include <mps3/ipc/line_splitter.hpp>

#include <cassert>
#include <utility>

namespace mps3::ipc {
namespace {

// A line may carry one byte more than max_frame while it is incomplete: the '\r' of a "\r\n"
// terminator, which does not count. Written without max + 1, which could overflow.
bool over_limit(std::size_t bytes, std::size_t max) {
    return bytes > max && bytes - max > 1;
}

// A line of only JSON whitespace holds no message; skipping it lets a person type into the
// socket (socat, nc) and lets a client send keep-alive newlines.
bool blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// After a 16 MiB line the buffers would otherwise keep 16 MiB per connection for good.
constexpr std::size_t keep_capacity = std::size_t{1} << 20;

void reset(std::string& buffer) {
    if (buffer.capacity() > keep_capacity) {
        std::string().swap(buffer);
    } else {
        buffer.clear();
    }
}

}  // namespace

line_splitter::line_splitter(std::size_t max_frame) : max_(max_frame) {}

void line_splitter::feed(std::string_view chunk) {
    assert(pos_ >= chunk_.size() && "feed() before next() used up the previous chunk");
    chunk_ = chunk;
    pos_ = 0;
}

std::optional<frame> line_splitter::next() {
    recycle();
    while (pos_ < chunk_.size()) {
        const std::string_view rest = chunk_.substr(pos_);
        const std::size_t newline = rest.find('\n');
        if (skipping_) {
            // The tail of an oversized line: dropped without being stored.
            if (newline == std::string_view::npos) {
                pos_ = chunk_.size();
                break;
            }
            pos_ += newline + 1;
            skipping_ = false;
            continue;
        }
        if (newline == std::string_view::npos) {
            pos_ = chunk_.size();
            if (over_limit(partial_.size() + rest.size(), max_)) {
                reset(partial_);
                skipping_ = true;
                return frame{frame::kind::oversized, {}};
            }
            partial_.append(rest);
            break;
        }
        pos_ += newline + 1;
        std::string_view line = rest.substr(0, newline);
        if (!partial_.empty()) {
            if (over_limit(partial_.size() + line.size(), max_)) {
                reset(partial_);
                return frame{frame::kind::oversized, {}};
            }
            partial_.append(line);
            std::swap(partial_, returned_);
            partial_.clear();
            line = returned_;
        }
        if (auto f = complete(line)) {
            return f;
        }
    }
    return std::nullopt;
}

std::optional<frame> line_splitter::finish() {
    recycle();
    chunk_ = {};
    pos_ = 0;
    if (skipping_) {
        skipping_ = false;  // the oversized line was reported when it crossed the limit
        return std::nullopt;
    }
    if (partial_.empty()) {
        return std::nullopt;
    }
    std::swap(partial_, returned_);
    partial_.clear();
    return complete(returned_);
}

std::optional<frame> line_splitter::complete(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    if (line.size() > max_) {
        return frame{frame::kind::oversized, {}};
    }
    if (blank(line)) {
        return std::nullopt;
    }
    return frame{frame::kind::line, line};
}

void line_splitter::recycle() {
    reset(returned_);
}

}  // namespace mps3::ipc
