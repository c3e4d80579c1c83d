// The method table: handlers registered by name, run for each request of a line, and the
// responses gathered into the one line (single or batch) the client gets back.
//
// Handlers answer through a `reply`, now or later: a synchronous handler answers before it
// returns; an asynchronous one moves the reply into its continuation and answers when the work
// is done. The response line is written once every request of the line has been answered, so
// the socket server can keep many requests of a connection in flight without knowing which
// handlers are asynchronous. Single-threaded: use a dispatcher and its replies on one thread.
#pragma once

#include <mps3/ipc/message.hpp>
#include <mps3/ipc/rpc_result.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::ipc {

/// The largest response line a dispatcher writes unless told otherwise: a bound on what one
/// line of requests can make the server hold (1,000 reads of 8 MiB values in a batch would
/// otherwise be an 8 GB line).
inline constexpr std::size_t default_max_answer_bytes = std::size_t{64} << 20;

namespace detail {
struct pending_line;
}

/// A request answered, for metrics: its method ("(unknown)" for a method not registered,
/// "(invalid)" for an item that is no request), the answer's code (0 for a result) and the
/// time from dispatch to the answer.
struct answered_request {
    std::string_view method;
    int code = 0;
    std::chrono::steady_clock::duration elapsed{};
};
using request_observer = std::function<void(const answered_request&)>;

namespace detail {
// What a reply needs to tell the observer, kept only while one is set.
struct request_watch {
    std::shared_ptr<const request_observer> observer;
    std::string method;
    std::chrono::steady_clock::time_point started;
};
}  // namespace detail

/// The answer to one request, given once. Answering a notification does nothing (it gets no
/// response); a reply destroyed unanswered answers -32603, so a forgotten reply can never leave
/// a batch waiting for ever.
class reply {
  public:
    reply(reply&& other) noexcept;
    reply& operator=(reply&& other) noexcept;
    reply(const reply&) = delete;
    reply& operator=(const reply&) = delete;
    ~reply();

    /// result_json: compact JSON text of the result (e.g. from json_builder).
    void result(std::string_view result_json);
    void error(const rpc_error& e);
    /// result() or error(), whichever r holds.
    void send(const rpc_result<std::string>& r);

    /// True once answered (or moved from); later answers are ignored.
    [[nodiscard]] bool answered() const { return done_; }
    /// False for a notification: the handler may skip building a result nobody will read.
    [[nodiscard]] bool wants_response() const { return line_ != nullptr; }

  private:
    friend class dispatcher;
    reply(std::shared_ptr<detail::pending_line> line, std::size_t slot, rpc_id id);
    explicit reply(std::nullptr_t) : done_(false) {}  // for a notification
    void finish(std::string json, int code);

    std::shared_ptr<detail::pending_line> line_;
    std::size_t slot_ = 0;
    rpc_id id_;
    bool done_ = false;
    std::optional<detail::request_watch> watch_;
};

class dispatcher {
  public:
    /// May answer now or keep the reply (moved) to answer later; exceptions become -32603. The
    /// request is valid during the call: copy it to keep it (cheap, the params are shared).
    using handler = std::function<void(const request&, reply&)>;
    /// A synchronous handler: the result's compact JSON text, or the error.
    using sync_handler = std::function<rpc_result<std::string>(const request&)>;
    /// Receives each complete response line ('\n' included), at most once per dispatched line.
    /// Must not throw: it runs inside replies, which may be answered from destructors.
    using write_fn = std::function<void(std::string line)>;

    /// max_answer_bytes: the largest response line. An answer that would make the line larger
    /// is replaced by a -32003 error (data: {"maxAnswerBytes": N}), so that a batch of large
    /// reads cannot build an unbounded line; handlers that can tell beforehand (getAll, list)
    /// refuse or page before building.
    explicit dispatcher(parse_limits limits = {},
                        std::size_t max_answer_bytes = default_max_answer_bytes)
        : limits_(limits), max_answer_bytes_(max_answer_bytes) {}

    /// Registers `name` (replacing a previous handler of that name). Names starting with "rpc."
    /// are reserved by the specification and refused (returns false).
    bool add(std::string name, handler h);
    bool add_sync(std::string name, sync_handler h);
    [[nodiscard]] bool has(std::string_view name) const;

    /// Parses a line and runs it. `write` is called with the response line when the line needs
    /// one (not for a notification, nor for a batch of only notifications): from inside this
    /// call when every handler answered synchronously, else when the last reply is given.
    void dispatch(std::string_view line, write_fn write) const;
    void dispatch(message msg, write_fn write) const;

    [[nodiscard]] const parse_limits& limits() const { return limits_; }
    [[nodiscard]] std::size_t max_answer_bytes() const { return max_answer_bytes_; }

    /// Told of every request with an id once it is answered (notifications get no answer).
    /// Runs where the answer is given: on the dispatcher's thread.
    void observe(std::shared_ptr<const request_observer> observer) {
        observer_ = std::move(observer);
    }

  private:
    void run(const request& r, reply& answer) const;

    parse_limits limits_;
    std::size_t max_answer_bytes_;
    std::map<std::string, handler, std::less<>> methods_;
    std::shared_ptr<const request_observer> observer_;
};

}  // namespace mps3::ipc
