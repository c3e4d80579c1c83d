// Asynchronous S3 client: C++20 coroutines on one Asio executor, no threads of its own.
// Requests are SigV4-signed, sent over a keep-alive HTTP/1.1 (TLS or plain) connection pool,
// bounded by a deadline, and retried on transient failures according to a retry_policy.
//
// GCC 12 pitfall (checked with ASan on Debian's g++ 12.2): a braced aggregate temporary inside a
// co_await expression, e.g. `co_await c.async_get_object(b, k, {.version_id = v})`, is destroyed
// twice. Build the options as a named variable first, or write `get_options()`.
#pragma once

#include <mps3/log.hpp>
#include <mps3/result.hpp>
#include <mps3/s3/credential_source.hpp>
#include <mps3/s3/credentials.hpp>
#include <mps3/s3/endpoint.hpp>
#include <mps3/s3/request_observer.hpp>
#include <mps3/s3/types.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace mps3::s3 {

template <class T>
using task = boost::asio::awaitable<T>;

struct client_config {
    endpoint server;
    s3::credentials credentials;
    /// When set, asked before each attempt instead of `credentials` (which then only serve
    /// startup checks); an ExpiredToken, InvalidToken or TokenRefreshRequired answer makes it
    /// re-read them, and the request is sent once more.
    std::shared_ptr<s3::credential_source> credential_source;
    milliseconds request_timeout{std::chrono::seconds(30)};  // one attempt, connect to last byte
    retry_policy retry;
    std::size_t max_connections = 8;  // per endpoint; further requests wait for a free one
    std::string ca_file;              // extra trust anchors (PEM); system store is always used
    bool verify_tls = true;           // certificate + host name; only turn off for a test rig
    log_sink log;                     // optional
    request_observer observer;        // optional: told of every request completed (metrics)
};

/// Counters for status pages and tests.
struct client_stats {
    std::uint64_t requests = 0;          // attempts sent, retries included
    std::uint64_t retries = 0;           // attempts after the first of an operation
    std::size_t connections_opened = 0;  // TCP (+TLS) connections established
    std::size_t idle_connections = 0;    // kept alive in the pool right now
};

class client {
  public:
    client(boost::asio::any_io_executor executor, client_config config);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    task<result<put_result>> async_put_object(std::string bucket, std::string key, std::string body,
                                              put_options options = put_options());
    task<result<get_result>> async_get_object(std::string bucket, std::string key,
                                              get_options options = get_options());
    task<result<head_result>> async_head_object(std::string bucket, std::string key,
                                                std::string version_id = std::string());
    task<result<delete_result>> async_delete_object(std::string bucket, std::string key);
    task<result<list_page>> async_list_objects_v2(std::string bucket, list_options options);
    /// Follows continuation tokens; max_pages bounds the walk (error if exceeded).
    task<result<list_all_result>> async_list_all(std::string bucket, list_options options,
                                                 unsigned max_pages = 100000);
    task<result<response_meta>> async_create_bucket(std::string bucket);
    task<result<response_meta>> async_put_bucket_versioning(std::string bucket, bool enabled);
    /// GetBucketVersioning. A server without versioning answers an error (s3rver:
    /// NotImplemented), returned as such.
    task<result<bucket_versioning>> async_get_bucket_versioning(std::string bucket);

    /// Aborts every request in flight (they complete with errc::cancelled) and closes pooled
    /// connections. New requests are still accepted.
    void cancel_all();

    [[nodiscard]] const client_config& config() const noexcept;
    [[nodiscard]] client_stats stats() const noexcept;

  private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace mps3::s3
