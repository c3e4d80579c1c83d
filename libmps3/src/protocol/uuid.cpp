#include "protocol/uuid.hpp"

#include <array>

namespace mps3::protocol {

std::string uuid_v4(std::uint64_t high, std::uint64_t low) {
    high = (high & ~std::uint64_t{0xf000}) | std::uint64_t{0x4000};          // version: 4
    low = (low & ~(std::uint64_t{0xc} << 60)) | (std::uint64_t{0x8} << 60);  // variant: 10xx
    constexpr std::array<char, 16> hex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                          '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string out;
    out.reserve(36);
    const auto put = [&](std::uint64_t word, int nibbles_from, int nibbles_to) {
        for (int i = nibbles_from; i < nibbles_to; ++i) {
            out.push_back(hex[(word >> (60 - 4 * i)) & 0xf]);
        }
    };
    put(high, 0, 8);
    out.push_back('-');
    put(high, 8, 12);
    out.push_back('-');
    put(high, 12, 16);
    out.push_back('-');
    put(low, 0, 4);
    out.push_back('-');
    put(low, 4, 16);
    return out;
}

std::string uuid_v4(const random_source& random) {
    const auto high = random();
    const auto low = random();
    return uuid_v4(high, low);
}

}  // namespace mps3::protocol
