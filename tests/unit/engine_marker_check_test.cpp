// The marker check (engine/marker_check.hpp): one warning per marker object that is not "".
#include "engine/marker_check.hpp"

#include <doctest/doctest.h>

using mps3::engine::marker_check;

TEST_CASE("marker check: a marker that is not \"\" is warned about once per object") {
    marker_check check;
    CHECK_FALSE(check.on_head("m.json", "\"e1\"", 2));
    const auto first = check.on_head("m.json", "\"junk\"", 104'857'600);
    REQUIRE(first);
    CHECK(*first ==
          "the marker m.json holds 104857600 bytes, not \"\"; its content is ignored (only its "
          "changes are watched)");
    // The same object seen by every later poll: silent.
    CHECK_FALSE(check.on_head("m.json", "\"junk\"", 104'857'600));
    CHECK_FALSE(check.on_head("m.json", "\"junk\"", 104'857'600));
    // Another bad object: news.
    CHECK(check.on_head("m.json", "\"junk2\"", 5));
    // Rewritten by a writer, then spoiled again with the same bytes: news again.
    CHECK_FALSE(check.on_head("m.json", "\"e1\"", 2));
    CHECK(check.on_head("m.json", "\"junk2\"", 5));
}
