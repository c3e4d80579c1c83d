// gzip (RFC 1952) for the bodies of bucket objects stored with `Content-Encoding: gzip`
// (docs/bucket-format.md, "Compressed entries"). Sans-io, over zlib. Decoding reads what
// strangers write, so it is bounded: a body that inflates past `max_decoded` bytes (a gzip bomb)
// is refused as soon as it crosses the bound, before more is allocated.
#pragma once

#include <mps3/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace mps3::protocol {

/// The largest decoded object body a reader accepts: the S3 client's bound on a plain response
/// body (s3/http_transport.hpp, max_response_body), so compression never lets a larger entry in.
inline constexpr std::size_t max_decoded_body_bytes = std::size_t{1} << 30;

/// zlib's fastest level. On an entry (JSON around random UUIDs, which no level compresses) it
/// gives 3.1x where the default level 6 gives 3.3x, in about half the CPU time; the writer
/// compresses on its one io thread, once per entry (docs/benchmarks.md).
inline constexpr int entry_gzip_level = 1;

/// One gzip member holding `plain`, at `level` (1 fastest .. 9 smallest).
result<std::string> gzip_encode(std::string_view plain, int level = entry_gzip_level);

/// The data of a gzip stream (one or more members, as RFC 1952 allows and `gunzip` reads).
/// errc::bad_response with the reason for a truncated stream, a bad header or CRC, bytes after
/// the last member that are not another member, or more than max_decoded bytes of output.
result<std::string> gzip_decode(std::string_view compressed,
                                std::size_t max_decoded = max_decoded_body_bytes);

/// Whether `body` starts with the gzip magic bytes 1f 8b. JSON text never does (its first byte is
/// whitespace, `{`, `[`, `"`, a digit, `-`, `t`, `f` or `n`), so for a JSON object the test is
/// unambiguous.
bool has_gzip_magic(std::string_view body);

}  // namespace mps3::protocol
