#include "protocol/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>
#include <memory>

namespace mps3::protocol {
namespace {

// windowBits 15 + 16: zlib writes and reads the gzip wrapper (header and CRC-32) itself.
constexpr int gzip_window_bits = 15 + 16;
constexpr int default_mem_level = 8;
// Output is produced in chunks of this size, so a bomb is caught within one chunk of the bound.
constexpr std::size_t chunk_bytes = std::size_t{64} << 10;
// zlib counts in uInt; inputs are fed in pieces no larger than this.
constexpr std::size_t max_piece = std::numeric_limits<uInt>::max();

error bad(std::string why) {
    return {errc::bad_response, "gzip body: " + std::move(why)};
}

struct deflate_stream {
    z_stream z{};
    bool ready = false;
    ~deflate_stream() {
        if (ready) {
            deflateEnd(&z);
        }
    }
};

struct inflate_stream {
    z_stream z{};
    bool ready = false;
    ~inflate_stream() {
        if (ready) {
            inflateEnd(&z);
        }
    }
};

// zlib's API takes non-const input pointers but never writes through them.
Bytef* input_bytes(std::string_view data) {
    return reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
}

}  // namespace

result<std::string> gzip_encode(std::string_view plain, int level) {
    deflate_stream s;
    if (level < 1 || level > 9) {
        return error(errc::invalid_argument, "gzip: level must be 1 to 9");
    }
    if (deflateInit2(&s.z, level, Z_DEFLATED, gzip_window_bits, default_mem_level,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return error(errc::invalid_argument, "gzip: deflateInit2 failed (out of memory?)");
    }
    s.ready = true;
    std::string out;
    out.resize(deflateBound(&s.z, static_cast<uLong>(std::min(plain.size(), max_piece))) + 64);
    std::size_t produced = 0;
    std::string_view rest = plain;
    for (;;) {
        const std::size_t piece = std::min(rest.size(), max_piece);
        s.z.next_in = input_bytes(rest);
        s.z.avail_in = static_cast<uInt>(piece);
        const bool last = piece == rest.size();
        int rc = Z_OK;
        do {
            if (produced == out.size()) {
                out.resize(out.size() * 2);
            }
            s.z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
            const std::size_t room = std::min(out.size() - produced, max_piece);
            s.z.avail_out = static_cast<uInt>(room);
            rc = deflate(&s.z, last ? Z_FINISH : Z_NO_FLUSH);
            produced += room - s.z.avail_out;
            if (rc == Z_STREAM_ERROR) {
                return error(errc::invalid_argument, "gzip: deflate failed");
            }
        } while (s.z.avail_out == 0 || (last && rc != Z_STREAM_END));
        rest.remove_prefix(piece);
        if (last) {
            break;
        }
    }
    out.resize(produced);
    return out;
}

result<std::string> gzip_decode(std::string_view compressed, std::size_t max_decoded) {
    if (!has_gzip_magic(compressed)) {
        return bad("does not start with the gzip magic bytes 1f 8b");
    }
    std::string out;
    std::string_view rest = compressed;
    // One pass per member: RFC 1952 allows several, concatenated.
    while (!rest.empty()) {
        if (!has_gzip_magic(rest)) {
            return bad(std::to_string(rest.size()) + " byte(s) of garbage after the gzip data");
        }
        inflate_stream s;
        if (inflateInit2(&s.z, gzip_window_bits) != Z_OK) {
            return bad("inflateInit2 failed (out of memory?)");
        }
        s.ready = true;
        int rc = Z_OK;
        while (rc != Z_STREAM_END) {
            if (s.z.avail_in == 0) {
                if (rest.empty()) {
                    return bad("truncated (the stream ends before its last block and CRC)");
                }
                const std::size_t piece = std::min(rest.size(), max_piece);
                s.z.next_in = input_bytes(rest);
                s.z.avail_in = static_cast<uInt>(piece);
                rest.remove_prefix(piece);
            }
            // One byte past the bound is room enough to see that a body does not fit.
            // (Written so that max_decoded = SIZE_MAX cannot wrap around to no room at all.)
            const std::size_t left = max_decoded - out.size();
            const std::size_t room = left >= chunk_bytes ? chunk_bytes : left + 1;
            const std::size_t start = out.size();
            out.resize(start + room);
            s.z.next_out = reinterpret_cast<Bytef*>(out.data() + start);
            s.z.avail_out = static_cast<uInt>(room);
            rc = inflate(&s.z, Z_NO_FLUSH);
            out.resize(start + room - s.z.avail_out);
            if (out.size() > max_decoded) {
                return bad("decodes to more than " + std::to_string(max_decoded) + " bytes");
            }
            if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR ||
                rc == Z_STREAM_ERROR) {
                return bad(s.z.msg != nullptr ? s.z.msg : "corrupt deflate data");
            }
            if (rc == Z_BUF_ERROR && s.z.avail_in != 0 && s.z.avail_out != 0) {
                return bad("corrupt deflate data");  // no progress possible
            }
        }
        // Input zlib did not consume belongs to the next member (or is garbage).
        rest = std::string_view(reinterpret_cast<const char*>(s.z.next_in),
                                s.z.avail_in + rest.size());
    }
    return out;
}

bool has_gzip_magic(std::string_view body) {
    return body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
           static_cast<unsigned char>(body[1]) == 0x8b;
}

}  // namespace mps3::protocol
