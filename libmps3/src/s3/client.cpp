// The S3 client: builds each operation (request_builder), sends it with retries over the
// pooled transport, and maps the response (response_mapping, xml). Coroutines only.
#include <mps3/s3/client.hpp>

#include "s3/http_transport.hpp"
#include "s3/request_builder.hpp"
#include "s3/response_mapping.hpp"
#include "s3/retry.hpp"
#include "s3/xml.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <random>

namespace mps3::s3 {
namespace {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

bool is_success(unsigned status) {
    return status >= 200 && status < 300;
}

request_kind kind_of(const detail::s3_request& request) {
    if (request.method == "GET") {
        return request.key.empty() ? request_kind::list : request_kind::get;
    }
    if (request.method == "PUT") {
        return request_kind::put;
    }
    if (request.method == "HEAD") {
        return request_kind::head;
    }
    return request.method == "DELETE" ? request_kind::del : request_kind::other;
}

request_outcome outcome_of(const result<detail::http_response>& response) {
    if (!response) {
        if (response.err().code == make_error_code(errc::timeout)) {
            return request_outcome::timeout;
        }
        return response.err().code == make_error_code(errc::cancelled)
                   ? request_outcome::cancelled
                   : request_outcome::network_error;
    }
    const unsigned status = response->status;
    if (status >= 500) {
        return request_outcome::server_error;
    }
    if (status >= 400) {
        return request_outcome::client_error;
    }
    return status >= 300 ? request_outcome::redirect : request_outcome::ok;
}

// AWS rejects signatures more than 15 minutes off; the server's Date tells us by how much.
constexpr std::string_view skew_code = "RequestTimeTooSkewed";

// Answers that mean "your temporary credentials are no longer good": re-read them, try again.
bool is_token_refusal(std::string_view s3_code) {
    return s3_code == "ExpiredToken" || s3_code == "InvalidToken" ||
           s3_code == "TokenRefreshRequired";
}

}  // namespace

struct client::impl {
    asio::any_io_executor executor;
    client_config config;
    detail::http_transport transport;
    std::mt19937_64 jitter{std::random_device{}()};
    clock::duration signing_skew{0};  // correction applied to the signing clock
    std::uint64_t requests = 0;
    std::uint64_t retries = 0;

    impl(asio::any_io_executor ex, client_config cfg)
        : executor(ex),
          config(std::move(cfg)),
          transport(ex, detail::transport_options{.server = config.server,
                                                  .ca_file = config.ca_file,
                                                  .verify_tls = config.verify_tls,
                                                  .max_connections = config.max_connections,
                                                  .log = config.log}) {}

    void log(log_level level, const std::string& message) const {
        if (config.log) {
            config.log(level, "s3", message);
        }
    }

    // Sends the request until it succeeds, fails for good, or the retry policy is spent.
    // A non-2xx response is returned as a response (the caller decides: 304 is not an error).
    // `override_policy`: this request's own retry policy, nullptr for the client's.
    asio::awaitable<result<detail::http_response>> send(
        const detail::s3_request& request, const retry_policy* override_policy = nullptr) {
        const auto started = steady::now();
        const retry_policy& policy = override_policy != nullptr ? *override_policy : config.retry;
        unsigned attempt = 0;
        bool skew_corrected = false;
        bool credentials_refreshed = false;
        while (true) {
            ++attempt;
            ++requests;
            if (attempt > 1) {
                ++retries;
            }
            const credentials* signing = &config.credentials;
            std::optional<credentials> current;
            if (config.credential_source) {
                auto got = co_await config.credential_source->async_get();
                if (!got) {
                    error failure = std::move(got).err();
                    failure.attempts = attempt;
                    co_return failure;
                }
                current = std::move(*got);
                signing = &*current;
            }
            const auto until = steady::now() + config.request_timeout;
            detail::http_request wire =
                detail::prepare(request, config.server, *signing, clock::now() + signing_skew);
            const auto attempt_started = steady::now();
            auto response = co_await transport.async_exchange(std::move(wire), until);
            if (config.observer) {
                observe(request, response, steady::now() - attempt_started);
            }

            std::string why_retry;
            if (!response) {
                error& err = response.err();
                err.attempts = attempt;
                if (err.code != make_error_code(errc::network) &&
                    err.code != make_error_code(errc::timeout)) {
                    co_return std::move(response);  // cancelled, TLS: another try won't help
                }
                why_retry = err.describe();
            } else if (!is_success(response->status)) {
                error err = detail::error_from(*response);
                detail::redact_secrets(err, config.credentials);
                if (err.s3_code == skew_code && !skew_corrected) {
                    if (auto server_now = detail::meta_from(*response).server_date) {
                        signing_skew = *server_now - clock::now();
                        skew_corrected = true;
                        const auto skew_s =
                            std::chrono::duration_cast<std::chrono::seconds>(signing_skew);
                        log(log_level::warn, "local clock is off by " +
                                                 std::to_string(skew_s.count()) +
                                                 " s; signing with the server's time");
                        --attempt;  // a correction, not a failure
                        continue;
                    }
                }
                if (is_token_refusal(err.s3_code) && config.credential_source &&
                    !credentials_refreshed) {
                    credentials_refreshed = true;
                    config.credential_source->invalidate();
                    log(log_level::info, "the server refused the session token (" + err.s3_code +
                                             "); re-reading the credentials");
                    --attempt;  // a refresh, not a failure
                    continue;
                }
                response->attempts = attempt;
                if (!detail::is_retryable_status(response->status, err.s3_code)) {
                    co_return std::move(response);
                }
                why_retry = err.describe();
            } else {
                response->attempts = attempt;
                co_return std::move(response);
            }

            const auto delay = detail::backoff_delay(attempt, policy, jitter());
            if (attempt >= policy.max_attempts ||
                steady::now() + delay - started >= policy.max_elapsed) {
                co_return std::move(response);  // the last failure, with its attempt count
            }
            log(log_level::debug, request.method + " " + request.bucket + ": attempt " +
                                      std::to_string(attempt) + " failed (" + why_retry +
                                      "); retrying in " + std::to_string(delay.count()) + " ms");
            if (auto slept = co_await sleep(delay); !slept) {
                co_return std::move(slept).err();
            }
        }
    }

    void observe(const detail::s3_request& request, const result<detail::http_response>& response,
                 steady::duration latency) const {
        request_record record;
        record.kind = kind_of(request);
        record.outcome = outcome_of(response);
        record.status = response ? response->status : 0;
        record.latency = latency;
        record.bytes_sent = request.body.size();
        record.bytes_received = response ? response->body.size() : 0;
        config.observer(record);
    }

    // A backoff pause that cancel_all() interrupts.
    asio::awaitable<status> sleep(milliseconds delay) {
        asio::steady_timer timer(executor, delay);
        cancellable_timers.push_back(&timer);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        std::erase(cancellable_timers, &timer);
        if (ec == asio::error::operation_aborted) {
            co_return error(errc::cancelled, "retry cancelled");
        }
        co_return success{};
    }

    std::vector<asio::steady_timer*> cancellable_timers;
};

namespace {

template <class T>
result<T> fail_with(const result<detail::http_response>& response, const credentials& creds) {
    if (!response) {
        return response.err();
    }
    error e = detail::error_from(*response);
    detail::redact_secrets(e, creds);
    return e;
}

result<success> check_names(const client_config& config, std::string_view bucket,
                            std::string_view key, bool needs_key) {
    if (auto why = detail::validate_bucket(bucket, config.server.addressing); !why.empty()) {
        return error(errc::invalid_argument, why + ": '" + std::string(bucket) + "'");
    }
    if (needs_key) {
        if (auto why = detail::validate_key(key); !why.empty()) {
            return error(errc::invalid_argument, why);
        }
    }
    return success{};
}

}  // namespace

client::client(boost::asio::any_io_executor executor, client_config config)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config))) {}

client::~client() {
    cancel_all();
}

const client_config& client::config() const noexcept {
    return impl_->config;
}

client_stats client::stats() const noexcept {
    return {.requests = impl_->requests,
            .retries = impl_->retries,
            .connections_opened = impl_->transport.connections_opened(),
            .idle_connections = impl_->transport.idle_connections()};
}

void client::cancel_all() {
    impl_->transport.cancel_all();
    for (auto* timer : impl_->cancellable_timers) {
        timer->cancel();
    }
}

task<result<put_result>> client::async_put_object(std::string bucket, std::string key,
                                                  std::string body, put_options options) {
    const auto self = impl_;
    if (auto ok = check_names(self->config, bucket, key, true); !ok) {
        co_return std::move(ok).err();
    }
    const retry_policy* own_policy = options.retry ? &*options.retry : nullptr;
    const auto request =
        detail::put_object_request(std::move(bucket), std::move(key), std::move(body), options);
    auto response = co_await self->send(request, own_policy);
    if (!response || !is_success(response->status)) {
        co_return fail_with<put_result>(response, self->config.credentials);
    }
    co_return put_result{.meta = detail::meta_from(*response)};
}

task<result<get_result>> client::async_get_object(std::string bucket, std::string key,
                                                  get_options options) {
    const auto self = impl_;
    if (auto ok = check_names(self->config, bucket, key, true); !ok) {
        co_return std::move(ok).err();
    }
    const std::string what = key;  // named in a refusal: the key is not a secret
    auto response =
        co_await self->send(detail::get_object_request(std::move(bucket), std::move(key), options));
    if (!response && response.err().code == make_error_code(errc::too_large)) {
        response.err().message = what + ": " + response.err().message;
    }
    if (response && response->status == 304) {
        co_return get_result{.meta = detail::meta_from(*response), .not_modified = true};
    }
    if (!response || !is_success(response->status)) {
        co_return fail_with<get_result>(response, self->config.credentials);
    }
    get_result out{.meta = detail::meta_from(*response)};
    out.content_type = response->header("content-type");
    out.content_encoding = response->header("content-encoding");
    out.user_metadata = detail::user_metadata_from(*response);
    out.body = std::move(response->body);
    co_return out;
}

task<result<head_result>> client::async_head_object(std::string bucket, std::string key,
                                                    std::string version_id) {
    const auto self = impl_;
    if (auto ok = check_names(self->config, bucket, key, true); !ok) {
        co_return std::move(ok).err();
    }
    auto response = co_await self->send(
        detail::head_object_request(std::move(bucket), std::move(key), std::move(version_id)));
    if (!response || !is_success(response->status)) {
        co_return fail_with<head_result>(response, self->config.credentials);
    }
    head_result out{.meta = detail::meta_from(*response)};
    const auto length = response->header("content-length");
    out.content_length = length.empty() ? 0 : std::stoull(std::string(length));
    out.content_type = response->header("content-type");
    out.user_metadata = detail::user_metadata_from(*response);
    co_return out;
}

task<result<delete_result>> client::async_delete_object(std::string bucket, std::string key) {
    const auto self = impl_;
    if (auto ok = check_names(self->config, bucket, key, true); !ok) {
        co_return std::move(ok).err();
    }
    auto response =
        co_await self->send(detail::delete_object_request(std::move(bucket), std::move(key)));
    if (!response || !is_success(response->status)) {
        co_return fail_with<delete_result>(response, self->config.credentials);
    }
    co_return delete_result{.meta = detail::meta_from(*response)};
}

task<result<list_page>> client::async_list_objects_v2(std::string bucket, list_options options) {
    const auto self = impl_;
    if (auto ok = check_names(self->config, bucket, {}, false); !ok) {
        co_return std::move(ok).err();
    }
    auto response =
        co_await self->send(detail::list_objects_v2_request(std::move(bucket), options));
    if (!response || !is_success(response->status)) {
        co_return fail_with<list_page>(response, self->config.credentials);
    }
    auto page = detail::parse_list_objects_v2(response->body);
    if (!page) {
        error err = std::move(page).err();
        err.request_id = response->header("x-amz-request-id");
        co_return err;
    }
    page->meta = detail::meta_from(*response);
    co_return std::move(page);
}

task<result<list_all_result>> client::async_list_all(std::string bucket, list_options options,
                                                     unsigned max_pages) {
    list_all_result all;
    while (true) {
        auto page = co_await async_list_objects_v2(bucket, options);
        if (!page) {
            co_return std::move(page).err();
        }
        ++all.pages;
        all.meta = page->meta;
        std::move(page->objects.begin(), page->objects.end(), std::back_inserter(all.objects));
        std::move(page->common_prefixes.begin(), page->common_prefixes.end(),
                  std::back_inserter(all.common_prefixes));
        if (!page->is_truncated) {
            co_return all;
        }
        if (page->next_continuation_token.empty()) {
            co_return error(errc::bad_response,
                            "listing is truncated but the server gave no continuation token");
        }
        if (all.pages >= max_pages) {
            co_return error(errc::bad_response,
                            "listing exceeds " + std::to_string(max_pages) + " pages");
        }
        options.continuation_token = std::move(page->next_continuation_token);
        options.start_after.clear();  // the token carries the position from here on
    }
}

task<result<response_meta>> client::async_create_bucket(std::string bucket) {
    const auto self = impl_;
    if (auto ok = check_names(self->config, bucket, {}, false); !ok) {
        co_return std::move(ok).err();
    }
    auto response = co_await self->send(
        detail::create_bucket_request(std::move(bucket), self->config.server.region));
    if (!response || !is_success(response->status)) {
        co_return fail_with<response_meta>(response, self->config.credentials);
    }
    co_return detail::meta_from(*response);
}

task<result<response_meta>> client::async_put_bucket_versioning(std::string bucket, bool enabled) {
    const auto self = impl_;
    if (auto ok = check_names(self->config, bucket, {}, false); !ok) {
        co_return std::move(ok).err();
    }
    auto response =
        co_await self->send(detail::put_bucket_versioning_request(std::move(bucket), enabled));
    if (!response || !is_success(response->status)) {
        co_return fail_with<response_meta>(response, self->config.credentials);
    }
    co_return detail::meta_from(*response);
}

task<result<bucket_versioning>> client::async_get_bucket_versioning(std::string bucket) {
    const auto self = impl_;
    if (auto ok = check_names(self->config, bucket, {}, false); !ok) {
        co_return std::move(ok).err();
    }
    auto response = co_await self->send(detail::get_bucket_versioning_request(std::move(bucket)));
    if (!response || !is_success(response->status)) {
        co_return fail_with<bucket_versioning>(response, self->config.credentials);
    }
    auto parsed = detail::parse_bucket_versioning(response->body);
    if (!parsed) {
        error err = std::move(parsed).err();
        err.http_status = response->status;
        err.request_id = response->header("x-amz-request-id");
        co_return err;
    }
    parsed->meta = detail::meta_from(*response);
    co_return std::move(parsed);
}

}  // namespace mps3::s3
