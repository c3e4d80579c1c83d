#include "engine/versioning_check.hpp"

#include <mps3/bucket.hpp>
#include <mps3/store.hpp>

#include <memory>
#include <string>

namespace mps3::engine {
namespace {

bool is(const error& e, errc c) {
    return e.code == make_error_code(c);
}

std::string what_to_do(std::string_view bucket) {
    return "a store with versioning = true needs S3 versioning Enabled on its bucket (aws s3api "
           "put-bucket-versioning --bucket " +
           std::string(bucket) +
           " --versioning-configuration Status=Enabled), or set versioning = false";
}

}  // namespace

status judge_versioning(const result<s3::bucket_versioning>& answer, std::string_view bucket) {
    const std::string name(bucket);
    if (answer) {
        if (answer->status == "Enabled") {
            return success{};
        }
        const std::string state = answer->status.empty()
                                      ? "has never had S3 versioning enabled"
                                      : "has S3 versioning " + answer->status + ", not Enabled";
        return error(errc::invalid_argument,
                     "bucket " + name + " " + state + ": " + what_to_do(bucket));
    }
    const error& e = answer.err();
    // 501 NotImplemented, or a success answered with another document (s3rver 3.7.1 lists
    // the bucket: it ignores ?versioning): a server without versioning.
    const bool other_document =
        is(e, errc::client_error) && e.http_status >= 200 && e.http_status <= 299;
    if (e.http_status == 501 || e.s3_code == "NotImplemented" || other_document) {
        return error(errc::invalid_argument,
                     "the server does not support bucket versioning (GetBucketVersioning of " +
                         name + ": " + e.describe() + "): " + what_to_do(bucket));
    }
    if (is(e, errc::access_denied)) {
        return error(errc::invalid_argument,
                     "not allowed to read the versioning of bucket " + name +
                         " (GetBucketVersioning: " + e.describe() +
                         "): a store with versioning = true checks it before it syncs; grant "
                         "s3:GetBucketVersioning, or set versioning = false");
    }
    if (is(e, errc::not_found) || is(e, errc::client_error) || is(e, errc::precondition_failed) ||
        is(e, errc::conflict) || is(e, errc::invalid_argument)) {
        return error(errc::invalid_argument, "GetBucketVersioning of " + name + " failed (" +
                                                 e.describe() + "): " + what_to_do(bucket));
    }
    error passing = e;  // network, timeout, 5xx, a garbled answer: ask again later
    passing.message = "checking the versioning of bucket " + name + ": " + passing.message;
    return passing;
}

bool versioning_refused(const error& e) {
    return is(e, errc::invalid_argument);
}

}  // namespace mps3::engine

namespace mps3 {

boost::asio::awaitable<status> async_check_bucket_versioning(boost::asio::any_io_executor executor,
                                                             store_config config) {
    std::unique_ptr<bucket_client> bucket =
        config.make_bucket ? config.make_bucket(executor)
                           : make_s3_bucket(executor, config.s3, config.bucket);
    auto answer = co_await bucket->async_get_versioning();
    co_return engine::judge_versioning(answer, config.bucket);
}

}  // namespace mps3
