// SIGINT and SIGTERM as something poll() can wait for: a self-pipe whose read end becomes
// readable when either signal arrives (socket_client::set_interrupt_fd), so a blocking wait ends
// cleanly instead of the process dying mid-line.
#pragma once

#include <mps3/result.hpp>

namespace mps3::ctl {

/// Installs the handlers (for the rest of the process) and returns the pipe's read end.
result<int> install_interrupt_pipe();

}  // namespace mps3::ctl
