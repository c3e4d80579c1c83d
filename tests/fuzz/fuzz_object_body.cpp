// Bodies of bucket objects as another writer (or a hostile one) may have stored them, with or
// without `Content-Encoding: gzip` (docs/bucket-format.md, "Compressed entries"): truncated and
// corrupt gzip streams, bombs, trailing garbage.
//
// Invariants: decoding never yields more than its bound; a body decoded under the header is the
// same with the magic-byte fallback (no header); a plain body without the magic bytes comes back
// unchanged; what decodes, encoded again, decodes to the same bytes.
#include "fuzz_check.hpp"

#include "protocol/gzip.hpp"
#include "protocol/object_encoding.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace mps3::protocol;

// Small enough that a bomb reaches it within libFuzzer's time per input.
constexpr std::size_t bound = std::size_t{4} << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(mps3::fuzz::as_text(data, size));

    const auto with_header = decoded_object_body(body, "gzip", bound);
    if (with_header) {
        FUZZ_CHECK(with_header->size() <= bound);
        const auto sniffed = decoded_object_body(body, "", bound);
        FUZZ_CHECK(sniffed && *sniffed == *with_header);
        const auto again = gzip_encode(*with_header);
        FUZZ_CHECK(again.has_value());
        const auto back = gzip_decode(*again, bound);
        FUZZ_CHECK(back && *back == *with_header);
    } else {
        FUZZ_CHECK(!with_header.err().message.empty());
    }

    const auto plain = decoded_object_body(body, "", bound);
    if (!has_gzip_magic(body)) {
        FUZZ_CHECK(plain && *plain == body);
    } else {
        FUZZ_CHECK(plain.has_value() == with_header.has_value());
    }
    return 0;
}
