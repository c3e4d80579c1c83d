// The two timestamp formats S3 speaks: ISO 8601 in XML listings (LastModified) and RFC 1123
// ("IMF-fixdate") in HTTP headers (Date, Last-Modified). Locale-free and independent of the
// process time zone: the Date header feeds MPS3's clock-offset estimate, so it must be exact.
#pragma once

#include <mps3/s3/time_format.hpp>
#include <mps3/s3/types.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace mps3::s3::detail {

/// "2026-11-23T13:40:51.921Z", "2026-11-23T13:40:51Z", or with a "+hh:mm"/"-hh:mm" offset instead
/// of "Z". Fractions beyond milliseconds are truncated. nullopt for anything else.
std::optional<clock::time_point> parse_iso8601(std::string_view text);

/// "Mon, 23 Nov 2026 13:40:51 GMT". The weekday name must be a valid one but is not checked
/// against the date (the date is what matters). The obsolete RFC 850 and asctime forms, which no
/// S3 server sends, are rejected.
std::optional<clock::time_point> parse_http_date(std::string_view text);

/// "Mon, 23 Nov 2026 13:40:51 GMT", truncated to the second.
std::string format_http_date(clock::time_point time);

/// "2026-11-23T13:40:51.921Z", truncated to the millisecond (public: mps3/s3/time_format.hpp).
using s3::format_iso8601;

}  // namespace mps3::s3::detail
