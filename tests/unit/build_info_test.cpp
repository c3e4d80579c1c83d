// The version line --version prints, and what this build reports (the project version from
// CMake; the git describe of the checkout, checked against git itself by tests/install/
// check_version.sh).
#include "build_info.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace mps3::daemon;

TEST_CASE("build info: the version line names the program, the version and the commit") {
    CHECK(version_line("mps3d", "1.2.3", "v1.2.3-4-gabcdef0-dirty") ==
          "mps3d 1.2.3 (git v1.2.3-4-gabcdef0-dirty)");
    // Built from a tarball: no git part at all, not an empty one.
    CHECK(version_line("mps3ctl", "1.2.3", "") == "mps3ctl 1.2.3");
}

TEST_CASE("build info: this build's version is the CMake project version, x.y.z") {
    const std::string version(project_version());
    CAPTURE(version);
    CHECK(version == MPS3_EXPECTED_VERSION);
    CHECK(version_line("mps3d").starts_with("mps3d " + version));
}
