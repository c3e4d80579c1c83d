// Drives a conversation (conversation.hpp) over a connected socket_client: sends its requests,
// hands it the answers and notifications, prints what it says to print (standard output flushed
// after every step, so `watch` lines come out as they happen) and returns its exit code. Failing
// to get an answer (connection lost, unreadable data, no answer within the request's wait) is
// exit code 4.
#pragma once

#include "conversation.hpp"
#include "socket_client.hpp"

#include <ostream>

namespace mps3::ctl {

int run_conversation(conversation& talk, socket_client& client, std::ostream& out,
                     std::ostream& err);

}  // namespace mps3::ctl
