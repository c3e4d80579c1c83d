// bucket_client over the S3 client: one bucket, every operation passed through.
#include <mps3/bucket.hpp>

namespace mps3 {
namespace {

class s3_bucket final : public bucket_client {
  public:
    s3_bucket(boost::asio::any_io_executor executor, s3::client_config config, std::string bucket)
        : client_(std::move(executor), std::move(config)), bucket_(std::move(bucket)) {}

    s3::task<result<s3::put_result>> async_put(std::string key, std::string body,
                                               s3::put_options options) override {
        return client_.async_put_object(bucket_, std::move(key), std::move(body),
                                        std::move(options));
    }
    s3::task<result<s3::get_result>> async_get(std::string key, s3::get_options options) override {
        return client_.async_get_object(bucket_, std::move(key), std::move(options));
    }
    s3::task<result<s3::head_result>> async_head(std::string key) override {
        return client_.async_head_object(bucket_, std::move(key));
    }
    s3::task<result<s3::list_page>> async_list_page(s3::list_options options) override {
        return client_.async_list_objects_v2(bucket_, std::move(options));
    }
    s3::task<result<s3::list_all_result>> async_list_all(s3::list_options options) override {
        return client_.async_list_all(bucket_, std::move(options));
    }
    s3::task<result<s3::delete_result>> async_delete(std::string key) override {
        return client_.async_delete_object(bucket_, std::move(key));
    }
    s3::task<result<s3::bucket_versioning>> async_get_versioning() override {
        return client_.async_get_bucket_versioning(bucket_);
    }
    void cancel_all() override { client_.cancel_all(); }

  private:
    s3::client client_;
    std::string bucket_;
};

}  // namespace

s3::task<result<s3::bucket_versioning>> bucket_client::async_get_versioning() {
    co_return error(errc::client_error, "this bucket client cannot report its versioning");
}

std::unique_ptr<bucket_client> make_s3_bucket(boost::asio::any_io_executor executor,
                                              s3::client_config config, std::string bucket) {
    return std::make_unique<s3_bucket>(std::move(executor), std::move(config), std::move(bucket));
}

}  // namespace mps3
