// An in-memory bucket for engine tests without a server (Litestream's idea of testing the
// replication logic against a scripted ReplicaClient): objects with S3's metadata (ETag,
// LastModified, the Date of every answer), conditional PUTs, paged listings, and faults on
// demand: a request that fails before it reaches the bucket, an answer lost after the object
// was stored, listings that show new objects late. Several stores may share one state, as
// several machines share a bucket. Everything runs on the test's executor; every operation
// yields once (posts) so that requests in flight interleave as over a network.
#pragma once

#include <mps3/bucket.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mps3::test {

struct scripted_request {
    std::string op;   // PUT, GET, HEAD, LIST, DELETE
    std::string key;  // the object, or the listing's prefix
};

enum class scripted_fault {
    none,
    fail,         // a network error; nothing reaches the bucket
    lose_answer,  // the bucket does it, then a network error instead of the answer
};

struct scripted_bucket_state {
    struct object {
        std::string body;
        std::chrono::system_clock::time_point modified;
        std::string etag;
        std::string content_encoding;  // as PUT, returned by GET like S3 does
    };
    std::map<std::string, object, std::less<>> objects;
    /// The server's clock (Date, LastModified). Default: the system clock.
    std::function<std::chrono::system_clock::time_point()> clock;
    /// Consulted for every request before it is carried out.
    std::function<scripted_fault(const scripted_request&)> on_request;
    /// Listings leave out objects modified less than this long ago (an eventually
    /// consistent listing; AWS S3's is strong since 2020, others' may not be).
    std::chrono::milliseconds list_lag{0};
    std::vector<scripted_request> requests;  // every request, in arrival order

    [[nodiscard]] std::chrono::system_clock::time_point now() const;
    /// Keys with this prefix, in order.
    [[nodiscard]] std::vector<std::string> keys(std::string_view prefix) const;
};

std::unique_ptr<bucket_client> make_scripted_bucket(boost::asio::any_io_executor executor,
                                                    std::shared_ptr<scripted_bucket_state> state);

}  // namespace mps3::test
