// What this build of mps3d and mps3ctl is: the CMake project version and, when built from a git
// checkout, the commit (git describe). --version prints it; the `version` method answers it.
#pragma once

#include <string>
#include <string_view>

namespace mps3::daemon {

/// The CMake project version, "x.y.z".
std::string_view project_version();

/// `git describe --always --dirty` of the checkout this was built from, at build time; empty
/// when it was built from sources without git (a release tarball).
std::string_view git_describe();

/// What `--version` prints: "PROGRAM x.y.z (git DESCRIBE)", or "PROGRAM x.y.z" without git.
std::string version_line(std::string_view program, std::string_view version,
                         std::string_view describe);
/// version_line of this build.
std::string version_line(std::string_view program);

/// The version of the socket protocol (docs/ipc-protocol.md), answered by the `version` method.
/// Raised only by a change that existing clients cannot follow; new methods and new result
/// members keep it.
inline constexpr int ipc_protocol_version = 1;

}  // namespace mps3::daemon
