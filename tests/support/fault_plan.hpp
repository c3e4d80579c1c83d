// Which HTTP requests the fault-injecting proxy (tcp_proxy.hpp, set_fault_plan) answers with a
// fault, and which fault: bursts ("the next N requests of kind K get fault F"), taken first, and
// a seeded random rate for the rest. Shared between the test thread, which sets it, and the
// proxy's thread, which consults it once per request: every member is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <string_view>
#include <vector>

namespace mps3::test {

/// What the proxy does with one request.
enum class http_fault {
    none,                   // forward it, forward the response
    internal_error_500,     // answer 500 InternalError (an S3 XML error body), not forwarded
    slow_down_503,          // answer 503 SlowDown (an S3 XML error body), not forwarded
    reset_before_response,  // forward it (the server acts on it), then reset without an answer
    reset_mid_response,     // forward it, send half of the response, then reset
    stall,                  // forward it, hold the response past the client's deadline, close
    truncate_body,          // forward it, send the head (original Content-Length) and half the
                            // body, then close cleanly: the client sees a short body
    never_answer,           // read it, never forward it, never answer (until the client closes)
};
std::string_view to_string(http_fault f);

/// Requests by kind, as S3 clients send them. LIST is a GET with list-type=2 (ListObjectsV2).
enum class request_kind { list, get, head, put, del, other, any };
std::string_view to_string(request_kind k);
/// The kind of a request line's method and target ("/bucket/key?query").
request_kind classify_request(std::string_view method, std::string_view target);

class fault_plan {
  public:
    explicit fault_plan(std::uint64_t seed);

    /// The next n requests of kind k (any: of every kind) get fault f, after the bursts already
    /// queued for k. A request takes from its own kind's bursts first, then from any's.
    void burst(request_kind k, http_fault f, std::size_t n);
    /// Requests no burst takes: with probability `rate` (0 to 1), those of kind k (any: every
    /// kind) get one of `faults`, picked at random. Replaces the previous rate.
    void set_random(double rate, std::vector<http_fault> faults,
                    request_kind k = request_kind::any);
    /// No more faults: the bursts left and the random rate are dropped.
    void clear();

    /// How long a stalled response is held before the connection is closed (default 10 s).
    void set_stall(std::chrono::milliseconds hold);
    [[nodiscard]] std::chrono::milliseconds stall() const;

    /// The fault for the next request of kind k (the proxy calls it once per request).
    http_fault next(request_kind k);

    /// Faults injected so far, of one fault (none: every fault).
    [[nodiscard]] std::uint64_t injected(http_fault f = http_fault::none) const;
    /// "500 x3, reset_mid_response x7" (injected faults by name, for messages).
    [[nodiscard]] std::string summary() const;

  private:
    struct pending_burst {
        http_fault fault;
        std::size_t left;
    };
    mutable std::mutex mutex_;
    std::mt19937_64 rng_;
    std::map<request_kind, std::deque<pending_burst>> bursts_;
    double rate_ = 0;
    std::vector<http_fault> random_faults_;
    request_kind random_kind_ = request_kind::any;
    std::chrono::milliseconds stall_{10000};
    std::map<http_fault, std::uint64_t> injected_;
};

}  // namespace mps3::test
