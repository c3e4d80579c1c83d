#include "scripted_bucket.hpp"

#include "s3/time_format.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>

namespace mps3::test {
namespace {

namespace asio = boost::asio;
using std::chrono::system_clock;

// S3's Date and Last-Modified headers have a resolution of one second.
system_clock::time_point whole_seconds(system_clock::time_point t) {
    return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

std::string etag_of(const std::string& body) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "\"%016zx\"", std::hash<std::string>{}(body));
    return buf;
}

class scripted_bucket final : public bucket_client {
  public:
    scripted_bucket(asio::any_io_executor executor, std::shared_ptr<scripted_bucket_state> state)
        : executor_(std::move(executor)), state_(std::move(state)) {}

    s3::task<result<s3::put_result>> async_put(std::string key, std::string body,
                                               s3::put_options options) override {
        const auto generation = generation_;
        const auto fault = co_await begin("PUT", key);
        if (cancelled(generation)) {
            co_return error(errc::cancelled, "scripted: cancelled");
        }
        if (fault == scripted_fault::fail) {
            co_return lost("PUT", key);
        }
        auto& objects = state_->objects;
        if (options.if_none_match_any && objects.contains(key)) {
            co_return error(errc::precondition_failed, "scripted: " + key + " exists");
        }
        const auto now = state_->now();
        objects.insert_or_assign(
            key, scripted_bucket_state::object{body, now, etag_of(body), options.content_encoding});
        if (fault == scripted_fault::lose_answer) {
            co_return lost("PUT", key);
        }
        s3::put_result out;
        out.meta = meta(now);
        out.meta.etag = etag_of(body);
        co_return out;
    }

    s3::task<result<s3::get_result>> async_get(std::string key, s3::get_options options) override {
        const auto generation = generation_;
        const auto fault = co_await begin("GET", key);
        if (cancelled(generation)) {
            co_return error(errc::cancelled, "scripted: cancelled");
        }
        if (fault != scripted_fault::none) {
            co_return lost("GET", key);
        }
        const auto it = state_->objects.find(key);
        if (it == state_->objects.end()) {
            co_return error(errc::not_found, "scripted: no " + key);
        }
        if (options.max_body_bytes != 0 && it->second.body.size() > options.max_body_bytes) {
            co_return error(errc::too_large, "scripted: " + key + " is over the limit");
        }
        s3::get_result out;
        out.meta = meta(state_->now());
        out.meta.etag = it->second.etag;
        out.body = it->second.body;
        out.content_encoding = it->second.content_encoding;
        co_return out;
    }

    s3::task<result<s3::head_result>> async_head(std::string key) override {
        const auto generation = generation_;
        const auto fault = co_await begin("HEAD", key);
        if (cancelled(generation)) {
            co_return error(errc::cancelled, "scripted: cancelled");
        }
        if (fault != scripted_fault::none) {
            co_return lost("HEAD", key);
        }
        const auto it = state_->objects.find(key);
        if (it == state_->objects.end()) {
            co_return error(errc::not_found, "scripted: no " + key);
        }
        s3::head_result out;
        out.meta = meta(state_->now());
        out.meta.etag = it->second.etag;
        out.meta.last_modified = s3::detail::format_http_date(whole_seconds(it->second.modified));
        out.content_length = it->second.body.size();
        co_return out;
    }

    s3::task<result<s3::list_page>> async_list_page(s3::list_options options) override {
        const auto generation = generation_;
        const auto fault = co_await begin("LIST", options.prefix);
        if (cancelled(generation)) {
            co_return error(errc::cancelled, "scripted: cancelled");
        }
        if (fault != scripted_fault::none) {
            co_return lost("LIST", options.prefix);
        }
        co_return page(options);
    }

    s3::task<result<s3::list_all_result>> async_list_all(s3::list_options options) override {
        s3::list_all_result out;
        const auto generation = generation_;
        for (unsigned pages = 0; pages < 100000; ++pages) {
            const auto fault = co_await begin("LIST", options.prefix);
            if (cancelled(generation)) {
                co_return error(errc::cancelled, "scripted: cancelled");
            }
            if (fault != scripted_fault::none) {
                co_return lost("LIST", options.prefix);
            }
            auto one = page(options);
            out.meta = one.meta;
            ++out.pages;
            std::move(one.objects.begin(), one.objects.end(), std::back_inserter(out.objects));
            if (!one.is_truncated) {
                co_return out;
            }
            options.continuation_token = one.next_continuation_token;
        }
        co_return error(errc::bad_response, "scripted: endless listing");
    }

    s3::task<result<s3::delete_result>> async_delete(std::string key) override {
        const auto generation = generation_;
        const auto fault = co_await begin("DELETE", key);
        if (cancelled(generation)) {
            co_return error(errc::cancelled, "scripted: cancelled");
        }
        if (fault == scripted_fault::fail) {
            co_return lost("DELETE", key);
        }
        state_->objects.erase(key);
        if (fault == scripted_fault::lose_answer) {
            co_return lost("DELETE", key);
        }
        s3::delete_result out;
        out.meta = meta(state_->now());
        co_return out;
    }

    void cancel_all() override { ++generation_; }

  private:
    // Yields once, then records the request and asks for its fault.
    asio::awaitable<scripted_fault> begin(std::string op, std::string key) {
        co_await asio::post(executor_, asio::use_awaitable);
        scripted_request request{std::move(op), std::move(key)};
        state_->requests.push_back(request);
        co_return state_->on_request ? state_->on_request(request) : scripted_fault::none;
    }
    // Whether cancel_all() came since the request started (at `generation`).
    [[nodiscard]] bool cancelled(std::uint64_t generation) const {
        return generation != generation_;
    }

    static error lost(const std::string& op, const std::string& key) {
        return error(errc::network, "scripted: the connection broke during " + op + " " + key);
    }

    s3::response_meta meta(system_clock::time_point now) const {
        s3::response_meta m;
        m.status = 200;
        m.sent_at = system_clock::now();
        m.received_at = m.sent_at;
        m.server_date = whole_seconds(now);
        m.date = s3::detail::format_http_date(*m.server_date);
        m.attempts = 1;
        return m;
    }

    s3::list_page page(const s3::list_options& options) const {
        s3::list_page out;
        const auto now = state_->now();
        out.meta = meta(now);
        const std::string after =
            !options.continuation_token.empty() ? options.continuation_token : options.start_after;
        const unsigned max_keys = options.max_keys == 0 ? 1000 : options.max_keys;
        auto it = after.empty() ? state_->objects.lower_bound(options.prefix)
                                : state_->objects.upper_bound(after);
        for (; it != state_->objects.end() && it->first.starts_with(options.prefix); ++it) {
            if (now - it->second.modified < state_->list_lag) {
                continue;
            }
            if (out.objects.size() == max_keys) {
                out.is_truncated = true;
                out.next_continuation_token = out.objects.back().key;
                break;
            }
            s3::object_summary o;
            o.key = it->first;
            o.last_modified_time = whole_seconds(it->second.modified);
            o.last_modified = s3::detail::format_iso8601(*o.last_modified_time);
            o.etag = it->second.etag;
            o.size = it->second.body.size();
            out.objects.push_back(std::move(o));
        }
        return out;
    }

    asio::any_io_executor executor_;
    std::shared_ptr<scripted_bucket_state> state_;
    std::uint64_t generation_ = 0;
};

}  // namespace

system_clock::time_point scripted_bucket_state::now() const {
    return clock ? clock() : system_clock::now();
}

std::vector<std::string> scripted_bucket_state::keys(std::string_view prefix) const {
    std::vector<std::string> out;
    for (auto it = objects.lower_bound(prefix);
         it != objects.end() && it->first.starts_with(prefix); ++it) {
        out.push_back(it->first);
    }
    return out;
}

std::unique_ptr<bucket_client> make_scripted_bucket(boost::asio::any_io_executor executor,
                                                    std::shared_ptr<scripted_bucket_state> state) {
    return std::make_unique<scripted_bucket>(std::move(executor), std::move(state));
}

}  // namespace mps3::test
