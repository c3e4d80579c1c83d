#include "conversation.hpp"

namespace mps3::ctl {

step conversation::on_notification(const ipc::rpc_notification& /*notification*/) {
    return {};
}

step conversation::on_interrupt() {
    step s;
    s.exit_code = 130;  // 128 + SIGINT, as a shell reports a command ended by Ctrl-C
    return s;
}

}  // namespace mps3::ctl
