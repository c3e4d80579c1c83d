// Who is on the other end of a Unix socket, as the kernel tells it (SO_PEERCRED), and whether
// that peer may use the daemon. The check happens once, at accept: the credentials are those of
// the process that connected, fixed at connect() time, so a peer cannot change them later.
#pragma once

#include <mps3/result.hpp>

#include <sys/types.h>

#include <cstdint>
#include <span>

namespace mps3::ipc {

struct peer_credentials {
    pid_t pid = 0;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;  // the peer's primary group at connect time
};

/// SO_PEERCRED of a connected AF_UNIX socket.
result<peer_credentials> read_peer_credentials(int fd);

struct access_policy {
    std::uint32_t own_uid = 0;                  // the daemon's user: always allowed
    std::span<const std::uint32_t> extra_uids;  // allowed besides the daemon's user
    std::span<const std::uint32_t> extra_gids;  // a peer whose primary group is one of these
};

/// True when the peer may talk to the daemon. root (uid 0) is not special: it is allowed only
/// when the daemon runs as root or lists uid 0, so that the rule is the one written down.
[[nodiscard]] bool peer_allowed(const peer_credentials& peer, const access_policy& policy);

}  // namespace mps3::ipc
