// Where mps3ctl finds mps3d's socket, most specific first:
//   1. --socket PATH;
//   2. $MPS3_SOCKET (not with --system, which asks for the system daemon explicitly);
//   3. `socket` in the [daemon] section of mps3d's configuration file, when the file reads
//      cleanly (~/.config/mps3/mps3d.conf, or /etc/mps3/mps3d.conf with --system);
//   4. mps3d's default: $XDG_RUNTIME_DIR/mps3/mps3d.sock (/tmp/mps3-UID/mps3/mps3d.sock without
//      XDG_RUNTIME_DIR), or /run/mps3/mps3d.sock with --system.
#pragma once

#include <mps3/s3/credentials.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace mps3::ctl {

std::filesystem::path resolve_socket_path(const std::string& socket_option, bool system,
                                          const s3::environment& env, std::uint32_t uid);

}  // namespace mps3::ctl
