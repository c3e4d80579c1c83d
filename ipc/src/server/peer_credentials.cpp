#include "server/peer_credentials.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace mps3::ipc {

result<peer_credentials> read_peer_credentials(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        const int err = errno;
        return error(
            errc::invalid_argument,
            std::string("cannot read the peer's credentials (SO_PEERCRED): ") + std::strerror(err));
    }
    peer_credentials peer;
    peer.pid = cred.pid;
    peer.uid = cred.uid;
    peer.gid = cred.gid;
    return peer;
}

bool peer_allowed(const peer_credentials& peer, const access_policy& policy) {
    if (peer.uid == policy.own_uid) {
        return true;
    }
    if (std::ranges::find(policy.extra_uids, peer.uid) != policy.extra_uids.end()) {
        return true;
    }
    return std::ranges::find(policy.extra_gids, peer.gid) != policy.extra_gids.end();
}

}  // namespace mps3::ipc
