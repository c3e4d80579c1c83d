#include "engine/os_random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

namespace mps3::engine {

std::uint64_t os_random::operator()() {
    if (next_ == words_.size()) {
        refill();
    }
    return words_[next_++];
}

void os_random::refill() {
    const auto bytes = std::as_writable_bytes(std::span(words_));
    std::size_t filled = 0;
    const std::size_t wanted = bytes.size();
    // Bounded: getrandom returns up to 256 bytes at once without EINTR; a signal may cut it.
    for (int tries = 0; filled < wanted && tries < 1000; ++tries) {
        const auto rest = bytes.subspan(filled);
        const auto got = getrandom(rest.data(), rest.size(), 0);
        if (got > 0) {
            filled += static_cast<std::size_t>(got);
        } else if (got < 0 && errno != EINTR) {
            std::fprintf(stderr, "mps3: getrandom failed: %s\n", std::strerror(errno));
            std::abort();
        }
    }
    if (filled < wanted) {
        std::fprintf(stderr, "mps3: getrandom kept being interrupted\n");
        std::abort();
    }
    next_ = 0;
}

}  // namespace mps3::engine
