#include <mps3/ipc/excerpt.hpp>

namespace mps3::ipc {

std::string quoted_excerpt(std::string_view text, std::size_t max) {
    if (text.size() <= max) {
        return "'" + std::string(text) + "'";
    }
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
        --cut;  // text[cut] continues a character: cut before that character starts
    }
    return "'" + std::string(text.substr(0, cut)) + "...'";
}

}  // namespace mps3::ipc
