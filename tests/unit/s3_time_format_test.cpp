#include "s3/time_format.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono;
using mps3::s3::clock;
using mps3::s3::detail::format_http_date;
using mps3::s3::detail::format_iso8601;
using mps3::s3::detail::parse_http_date;
using mps3::s3::detail::parse_iso8601;

clock::time_point at(year_month_day date, hours h = hours{0}, minutes m = minutes{0},
                     seconds s = seconds{0}, milliseconds ms = milliseconds{0}) {
    return clock::time_point{sys_days{date} + h + m + s + ms};
}

}  // namespace

TEST_CASE("parse_iso8601 reads S3 LastModified values") {
    const auto expected =
        at(2026y / November / 23, hours{13}, minutes{40}, seconds{51}, milliseconds{921});
    CHECK(parse_iso8601("2026-11-23T13:40:51.921Z") == expected);
    CHECK(parse_iso8601("2026-11-23T13:40:51Z") == expected - milliseconds{921});
    // MinIO and RGW sometimes send micro- or nanoseconds: truncated to the millisecond.
    CHECK(parse_iso8601("2026-11-23T13:40:51.921999Z") == expected);
    CHECK(parse_iso8601("2026-11-23T13:40:51.921999999Z") == expected);
    CHECK(parse_iso8601("2026-11-23T13:40:51.9Z") == expected + milliseconds{900 - 921});
    CHECK(parse_iso8601("2026-11-23t13:40:51.921z") == expected);
}

TEST_CASE("parse_iso8601 applies numeric offsets") {
    const auto utc = at(2026y / November / 23, hours{13}, minutes{40});
    CHECK(parse_iso8601("2026-11-23T15:40:00+02:00") == utc);
    CHECK(parse_iso8601("2026-11-23T08:10:00-05:30") == utc);
    CHECK(parse_iso8601("2026-11-23T13:40:00+00:00") == utc);
}

TEST_CASE("parse_iso8601 handles the epoch, leap years and day boundaries") {
    CHECK(parse_iso8601("1970-01-01T00:00:00Z") == clock::time_point{});
    CHECK(parse_iso8601("1970-01-01T00:00:00.001Z") == clock::time_point{milliseconds{1}});
    CHECK(parse_iso8601("1969-12-31T23:59:59Z") == clock::time_point{seconds{-1}});
    CHECK(parse_iso8601("2024-02-29T12:00:00Z") == at(2024y / February / 29, hours{12}));
    CHECK(parse_iso8601("2000-02-29T00:00:00Z") == at(2000y / February / 29));
    CHECK_FALSE(parse_iso8601("2026-02-29T00:00:00Z"));  // not a leap year
    CHECK_FALSE(parse_iso8601("1900-02-29T00:00:00Z"));  // divisible by 100, not by 400
    CHECK(parse_iso8601("2026-12-31T23:59:59.999Z") == at(2027y / January / 1) - milliseconds{1});
}

TEST_CASE("parse_iso8601 rejects garbage") {
    for (const char* text : {
             "",
             "garbage",
             "2026-11-23",
             "2026-11-23T13:40:51",      // no zone: ambiguous
             "2026-11-23T13:40:51.Z",    // dot without digits
             "2026-11-23T13:40:51.921",  // no zone
             "2026-11-23 13:40:51Z",     // space instead of T
             "2026-13-01T00:00:00Z",
             "2026-00-10T00:00:00Z",
             "2026-11-00T00:00:00Z",
             "2026-11-31T00:00:00Z",
             "2026-11-23T24:00:00Z",
             "2026-11-23T13:60:00Z",
             "2026-11-23T13:40:60Z",
             "2026-11-23T13:40:51ZZ",
             "2026-11-23T13:40:51+0200",
             "2026-11-23T13:40:51+24:00",
             "26-11-23T13:40:51Z",
             "2026-1-23T13:40:51Z",
             "+026-11-23T13:40:51Z",
             " 2026-11-23T13:40:51Z",
             "2026-11-23T13:40:51Z ",
         }) {
        const std::string shown = text;  // CAPTURE prints a const char* as a pointer
        CAPTURE(shown);
        CHECK_FALSE(parse_iso8601(text));
    }
}

// Found by tests/fuzz/fuzz_s3_xml (issue 11): a LastModified in year 9999 overflowed the
// conversion to system_clock's 64-bit nanoseconds (undefined behaviour, a garbage time).
TEST_CASE("dates beyond system_clock's range are refused, not overflowed") {
    CHECK_FALSE(parse_iso8601("9999-12-31T23:59:59.999Z"));
    CHECK_FALSE(parse_iso8601("2262-04-12T00:00:00Z"));
    CHECK_FALSE(parse_iso8601("1677-09-21T00:00:00Z"));
    CHECK_FALSE(parse_iso8601("0000-01-01T00:00:00+23:59"));
    CHECK_FALSE(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"));
    // Just inside the range, offsets included.
    const auto late = parse_iso8601("2262-04-09T23:59:59.999-23:59");
    REQUIRE(late);
    CHECK(format_iso8601(*late) == "2262-04-10T23:58:59.999Z");
    const auto early = parse_iso8601("1677-09-23T00:00:00+23:59");
    REQUIRE(early);
    CHECK(format_iso8601(*early) == "1677-09-22T00:01:00.000Z");
}

TEST_CASE("parse_http_date reads RFC 1123 Date headers") {
    CHECK(parse_http_date("Mon, 23 Nov 2026 13:40:51 GMT") ==
          at(2026y / November / 23, hours{13}, minutes{40}, seconds{51}));
    CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == clock::time_point{});
    CHECK(parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT") ==
          at(2024y / February / 29, hours{23}, minutes{59}, seconds{59}));
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") ==
          at(1994y / November / 6, hours{8}, minutes{49}, seconds{37}));
    // The weekday is not cross-checked: the date is what counts.
    CHECK(parse_http_date("Fri, 23 Nov 2026 13:40:51 GMT") ==
          at(2026y / November / 23, hours{13}, minutes{40}, seconds{51}));
}

TEST_CASE("parse_http_date rejects garbage and obsolete forms") {
    for (const char* text : {
             "",
             "garbage",
             "Mon, 23 Nov 2026 13:40:51",
             "Mon, 23 Nov 2026 13:40:51 UTC",
             "Mon, 23 Nov 2026 13:40:51 +0000",
             "Mon 23 Nov 2026 13:40:51 GMT",
             "mon, 23 Nov 2026 13:40:51 GMT",
             "Mon, 23 nov 2026 13:40:51 GMT",
             "Xyz, 23 Nov 2026 13:40:51 GMT",
             "Mon, 23 Foo 2026 13:40:51 GMT",
             "Mon, 3 Nov 2026 13:40:51 GMT",
             "Mon, 31 Nov 2026 13:40:51 GMT",
             "Sun, 29 Feb 2026 00:00:00 GMT",
             "Mon, 23 Nov 2026 25:40:51 GMT",
             "Mon, 23 Nov 26 13:40:51 GMT",
             "Mon, 23 Nov 2026 13:40:51 GMT ",
             "Monday, 23-Nov-26 13:40:51 GMT",  // RFC 850
             "Mon Nov 23 13:40:51 2026",        // asctime
             "2026-11-23T13:40:51Z",
         }) {
        const std::string shown = text;  // CAPTURE prints a const char* as a pointer
        CAPTURE(shown);
        CHECK_FALSE(parse_http_date(text));
    }
}

TEST_CASE("format_http_date writes IMF-fixdate") {
    CHECK(format_http_date(clock::time_point{}) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(format_http_date(at(2026y / November / 23, hours{13}, minutes{40}, seconds{51},
                              milliseconds{921})) == "Mon, 23 Nov 2026 13:40:51 GMT");
    CHECK(format_http_date(at(2024y / February / 29, hours{9}, minutes{5}, seconds{7})) ==
          "Thu, 29 Feb 2024 09:05:07 GMT");
    CHECK(format_http_date(clock::time_point{milliseconds{-1}}) == "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST_CASE("formatting and parsing round-trip") {
    for (const auto time :
         {clock::time_point{}, at(2000y / February / 29, hours{23}, minutes{59}, seconds{59}),
          at(2026y / November / 23, hours{13}, minutes{40}, seconds{51}),
          at(2099y / December / 31, hours{1}, minutes{2}, seconds{3})}) {
        CHECK(parse_http_date(format_http_date(time)) == time);
        CHECK(parse_iso8601(format_iso8601(time)) == time);
    }
    const auto with_millis =
        at(2026y / November / 23, hours{13}, minutes{40}, seconds{51}, milliseconds{7});
    CHECK(format_iso8601(with_millis) == "2026-11-23T13:40:51.007Z");
    CHECK(parse_iso8601(format_iso8601(with_millis)) == with_millis);
    // Sub-millisecond precision is dropped, not rounded.
    CHECK(format_iso8601(with_millis + microseconds{999}) == "2026-11-23T13:40:51.007Z");
}
