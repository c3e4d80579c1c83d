// How a bucket object's stored body relates to the JSON it holds (docs/bucket-format.md,
// "Compressed entries"): mps3d writes entries gzip-compressed with `Content-Encoding: gzip`
// (store_config::compress_entries), and reads plain and gzip objects alike, from any writer.
#pragma once

#include "protocol/gzip.hpp"

#include <mps3/result.hpp>

#include <string>
#include <string_view>

namespace mps3::protocol {

/// The Content-Encoding mps3d stores compressed entries with.
inline constexpr std::string_view gzip_content_encoding = "gzip";

/// The JSON text of an object whose GET answered `body` with `content_encoding` (the header's
/// value, empty when absent). `gzip` / `x-gzip` (any case) is decoded; `identity` is nothing; a
/// body with the gzip magic bytes is decoded even without the header (JSON cannot start so: a
/// proxy that dropped the header must not hide the object). Any other encoding, or a gzip body
/// that does not decode within max_decoded bytes: errc::bad_response saying why.
result<std::string> decoded_object_body(std::string body, std::string_view content_encoding,
                                        std::size_t max_decoded = max_decoded_body_bytes);

}  // namespace mps3::protocol
