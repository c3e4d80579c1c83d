// The bucket as a store uses it: the few object operations the MPS3 protocol needs, on one
// bucket (Litestream's ReplicaClient idea). The S3 client implements it (make_s3_bucket); a
// test can give a store a scripted one instead (store_config::make_bucket), to play the orders
// and failures a real server cannot be asked for: an answer lost after the object was stored,
// a listing that shows an object late, one PUT of many failing.
#pragma once

#include <mps3/result.hpp>
#include <mps3/s3/client.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace mps3 {

class bucket_client {
  public:
    virtual ~bucket_client() = default;
    bucket_client() = default;
    bucket_client(const bucket_client&) = delete;
    bucket_client& operator=(const bucket_client&) = delete;

    virtual s3::task<result<s3::put_result>> async_put(std::string key, std::string body,
                                                       s3::put_options options) = 0;
    /// options.max_body_bytes bounds what is read (errc::too_large beyond it).
    virtual s3::task<result<s3::get_result>> async_get(std::string key,
                                                       s3::get_options options) = 0;
    virtual s3::task<result<s3::head_result>> async_head(std::string key) = 0;
    /// One page of ListObjectsV2.
    virtual s3::task<result<s3::list_page>> async_list_page(s3::list_options options) = 0;
    /// Every page, following continuation tokens.
    virtual s3::task<result<s3::list_all_result>> async_list_all(s3::list_options options) = 0;
    virtual s3::task<result<s3::delete_result>> async_delete(std::string key) = 0;
    /// GetBucketVersioning, asked by a store in versioned mode (store_config::versioning)
    /// before it syncs. A bucket that cannot tell fails with errc::client_error.
    virtual s3::task<result<s3::bucket_versioning>> async_get_versioning();
    /// Aborts every request in flight: they complete with errc::cancelled.
    virtual void cancel_all() = 0;
};

/// The S3 client (its own connection pool) on `bucket`.
std::unique_ptr<bucket_client> make_s3_bucket(boost::asio::any_io_executor executor,
                                              s3::client_config config, std::string bucket);

}  // namespace mps3
