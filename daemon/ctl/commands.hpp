// mps3ctl's commands, sans-io: a parsed command line (an invocation) becomes a conversation with
// mps3d (the requests, with their exact parameters, and what each answer prints and exits with).
// The command line itself is parsed in cli.hpp; sockets are runner.hpp's business.
#pragma once

#include "conversation.hpp"

#include <mps3/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mps3::ctl {

/// How long mps3ctl waits for an answer when --timeout is not given.
inline constexpr std::chrono::milliseconds default_wait{30'000};
/// For operations with a deadline inside mps3d (flush, --await remote), mps3ctl waits this much
/// longer than that deadline, so that mps3d's own timeout answer (exit 5) arrives first.
inline constexpr std::chrono::milliseconds daemon_deadline_grace{5'000};
/// Entries asked per list page (mps3d accepts 1 to 1000).
inline constexpr std::uint64_t list_page_size = 100;
/// Entries asked per page by export: the most mps3d serves in one page.
inline constexpr std::uint64_t export_page_size = 1000;

/// One put-all operand, in command-line order.
struct put_all_arg {
    bool is_delete = false;  // -d KEY
    std::string text;        // "KEY=JSON", or the KEY to delete
};

/// A parsed command line.
struct invocation {
    // Where and how long (global options).
    std::string socket;  // --socket; empty: the default (socket_path.hpp)
    bool system = false;
    std::optional<std::string> store;
    std::optional<double> timeout_seconds;

    std::string command;                   // "put", "get", "list", ...
    std::vector<std::string> args;         // positional arguments after the command
    std::vector<put_all_arg> put_all_ops;  // put-all
    std::string await = "local";  // put, put-all, delete: "local" or "remote"; flush: "initial"
    std::optional<std::string> prefix;             // watch --prefix
    std::optional<std::uint64_t> since;            // watch --since
    std::optional<std::uint64_t> count;            // watch --count
    std::optional<std::uint64_t> limit;            // list --limit
    bool json = false;                             // status --json
    bool all = false;                              // status --all
    std::optional<std::uint64_t> max_age_seconds;  // health --max-age
    bool dry_run = false;                          // import --dry-run
    /// import: the input, a line at a time (standard input; canned lines in tests).
    std::function<std::optional<std::string>()> input;
    bool progress = false;  // import: show progress on standard error (a terminal)
};

/// The conversation an invocation means. Fails (errc::invalid_argument, a message for the user,
/// exit code 2) on arguments mps3d must not even see: a value that is not JSON, a put-all
/// operand without '=', a key that is not UTF-8, watch without exactly one of KEY and --prefix.
result<std::unique_ptr<conversation>> plan(const invocation& inv);

/// A conversation of one request, whose successful result `render` turns into output.
class single_call : public conversation {
  public:
    using renderer = std::function<step(const rapidjson::Value& result)>;
    single_call(request req, renderer render) : req_(std::move(req)), render_(std::move(render)) {}

    request start() override { return req_; }
    step on_response(const ipc::rpc_response& response) override;

  private:
    request req_;
    renderer render_;
};

}  // namespace mps3::ctl
