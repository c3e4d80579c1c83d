// Random (version 4) UUIDs as MPS3 uses them for content versions, from caller-supplied bits so
// that the protocol core stays deterministic under test.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace mps3::protocol {

/// A source of uniformly random 64-bit words (the engine: the OS CSPRNG, engine/os_random.hpp;
/// tests: a sequence).
using random_source = std::function<std::uint64_t()>;

/// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" in lower case, like crypto.randomUUID(): 122 bits
/// of high/low, with the version (4) and variant (10xx) bits forced.
std::string uuid_v4(std::uint64_t high, std::uint64_t low);

/// uuid_v4 from two draws of random.
std::string uuid_v4(const random_source& random);

}  // namespace mps3::protocol
