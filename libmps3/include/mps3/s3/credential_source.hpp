// Credentials that stay current while a daemon runs: re-read when they are about to expire,
// when the credentials or config file changes, when the server says the token expired, and
// when the operator asks (SIGHUP in mps3d).
#pragma once

#include <mps3/result.hpp>
#include <mps3/s3/credentials.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

namespace mps3::s3 {

class credential_source : public std::enable_shared_from_this<credential_source> {
  public:
    struct options {
        credential_options where;
        environment env;
        /// How often, at most, a use stats the credentials and config files to notice a change.
        std::chrono::milliseconds file_check_interval{std::chrono::seconds(5)};
        /// Temporary credentials are re-read this long before their Expiration. 5 minutes, as
        /// the AWS SDKs for Java and Go do, so a request signed now is not refused in flight.
        std::chrono::milliseconds expiry_margin{std::chrono::minutes(5)};
    };

    /// Loads the credentials now, on the calling thread (at startup, before serving: a
    /// credential_process runs to its end here); fails as load_credentials does.
    static result<std::shared_ptr<credential_source>> load(options opts);
    ~credential_source();
    credential_source(const credential_source&) = delete;
    credential_source& operator=(const credential_source&) = delete;

    /// The credentials to sign with: the cached ones, or re-read first (on a worker thread, so a
    /// credential_process never blocks the caller's io thread) when they are stale. Call it on
    /// one executor only (the S3 client's).
    boost::asio::awaitable<result<credentials>> async_get();

    /// The next async_get re-reads (SIGHUP, an ExpiredToken answer).
    void invalidate();

    /// What the last load found (for startup checks); an error once a re-read failed.
    [[nodiscard]] const result<credentials>& current() const;
    /// Re-reads done since load (tests and logs).
    [[nodiscard]] std::uint64_t reloads() const;

    struct state;

  private:
    explicit credential_source(std::unique_ptr<state> s);
    std::unique_ptr<state> state_;
};

}  // namespace mps3::s3
