// Random words from the operating system's CSPRNG (getrandom(2)), for what must not repeat across
// machines and restarts: content versions (UUIDs) and writer session ids (BUCKET_FORMAT.md
// sections 3 and 5). A PRNG seeded from one 32-bit draw would let two daemons pick the same
// sequence; the kernel's generator cannot be made to repeat.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace mps3::engine {

/// Hands out 64-bit words from a buffer refilled by getrandom(2), 64 words per system call.
/// One per store, used on its executor (not thread-safe). Aborts with a message if the kernel
/// refuses randomness (never on Linux 3.17+, where getrandom only blocks until the pool is
/// ready): writing guessable or repeated versions would be worse than stopping.
class os_random {
  public:
    std::uint64_t operator()();

  private:
    void refill();

    std::array<std::uint64_t, 64> words_{};
    std::size_t next_ = words_.size();  // empty: the first call refills
};

}  // namespace mps3::engine
