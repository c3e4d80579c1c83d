// What a mps3ctl command says to mps3d, sans-io: the requests it sends, what it makes of each
// answer and notification, and when it is done. The socket runner (runner.hpp) drives one; tests
// drive them with canned responses.
#pragma once

#include <mps3/ipc/client.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace mps3::ctl {

/// One JSON-RPC request to send.
struct request {
    std::string method;
    std::string params_json;         // a compact JSON object
    std::chrono::milliseconds wait;  // how long mps3ctl waits for its answer
};

/// What to do after an event: text to print, maybe a next request, maybe the end.
struct step {
    std::string out;  // for standard output (flushed after every step)
    std::string err;  // for standard error
    std::optional<request> next;
    std::optional<int> exit_code;  // set: the command is over, with this exit code
};

class conversation {
  public:
    conversation() = default;
    conversation(const conversation&) = delete;
    conversation& operator=(const conversation&) = delete;
    virtual ~conversation() = default;

    /// The first request.
    virtual request start() = 0;
    /// The answer to the last request sent.
    virtual step on_response(const ipc::rpc_response& response) = 0;
    /// A notification from mps3d; ignored unless the command subscribed to something.
    virtual step on_notification(const ipc::rpc_notification& notification);
    /// SIGINT or SIGTERM while waiting (only commands that wait for notifications see it).
    virtual step on_interrupt();
};

}  // namespace mps3::ctl
