// Times as text the way S3 writes them in listings: "2026-11-23T13:40:51.921Z". Public because
// applications report the store's times (status: last sync, last error) in the same format the
// bucket shows; the parsers stay internal (only the S3 client reads S3's times).
#pragma once

#include <mps3/s3/types.hpp>

#include <string>

namespace mps3::s3 {

/// "2026-11-23T13:40:51.921Z": UTC, truncated to the millisecond; locale- and time-zone-free.
std::string format_iso8601(clock::time_point time);

}  // namespace mps3::s3
