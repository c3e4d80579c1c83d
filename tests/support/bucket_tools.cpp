#include "bucket_tools.hpp"

#include "async_test.hpp"
#include "spec_reader.hpp"

#include <optional>
#include <stdexcept>

namespace mps3::test {

void create_bucket_now(const test_server& server, const std::string& bucket) {
    // (optional: co_spawn needs a default-constructible value type.)
    using made_type = std::optional<result<s3::response_meta>>;
    const auto made =
        run_async([&](boost::asio::any_io_executor ex) -> boost::asio::awaitable<made_type> {
            s3::client client(ex, server.client_config());
            made_type out = co_await client.async_create_bucket(bucket);
            co_return out;
        });
    if (!*made) {
        throw std::runtime_error("cannot create bucket " + bucket + ": " + made->err().describe());
    }
}

void put_object_now(const test_server& server, const std::string& bucket, const std::string& key,
                    const std::string& body) {
    using put_type = std::optional<result<s3::put_result>>;
    const auto put =
        run_async([&](boost::asio::any_io_executor ex) -> boost::asio::awaitable<put_type> {
            s3::client client(ex, server.client_config());
            s3::put_options json;
            json.content_type = "application/json";
            put_type out = co_await client.async_put_object(bucket, key, body, json);
            co_return out;
        });
    if (!*put) {
        throw std::runtime_error("cannot PUT " + key + ": " + put->err().describe());
    }
}

std::string get_object_now(const test_server& server, const std::string& bucket,
                           const std::string& key) {
    using get_type = std::optional<result<s3::get_result>>;
    auto got = run_async([&](boost::asio::any_io_executor ex) -> boost::asio::awaitable<get_type> {
        s3::client client(ex, server.client_config());
        get_type out = co_await client.async_get_object(bucket, key);
        co_return out;
    });
    if (!*got) {
        throw std::runtime_error("cannot GET " + key + ": " + got->err().describe());
    }
    return std::move((*got)->body);
}

std::vector<std::string> list_keys_now(const test_server& server, const std::string& bucket,
                                       const std::string& prefix) {
    using list_type = std::optional<result<s3::list_all_result>>;
    auto listed =
        run_async([&](boost::asio::any_io_executor ex) -> boost::asio::awaitable<list_type> {
            s3::client client(ex, server.client_config());
            s3::list_options options;
            options.prefix = prefix;
            list_type out = co_await client.async_list_all(bucket, options);
            co_return out;
        });
    if (!*listed) {
        throw std::runtime_error("cannot LIST " + prefix + ": " + listed->err().describe());
    }
    std::vector<std::string> keys;
    for (const auto& o : (*listed)->objects) {
        keys.push_back(o.key);
    }
    return keys;
}

std::map<std::string, std::string> read_bucket_now(const test_server& server,
                                                   const std::string& bucket,
                                                   const std::string& manifest) {
    using state_type = std::optional<result<std::map<std::string, std::string>>>;
    auto state =
        run_async([&](boost::asio::any_io_executor ex) -> boost::asio::awaitable<state_type> {
            s3::client client(ex, server.client_config());
            state_type out = co_await spec::read_store(client, bucket, manifest);
            co_return out;
        });
    if (!*state) {
        throw std::runtime_error("cannot read bucket " + bucket + ": " + state->err().describe());
    }
    return std::move(**state);
}

std::string describe_bucket_now(const test_server& server, const std::string& bucket,
                                const std::string& manifest) {
    using state_type = std::optional<result<spec::bucket_state>>;
    auto state =
        run_async([&](boost::asio::any_io_executor ex) -> boost::asio::awaitable<state_type> {
            s3::client client(ex, server.client_config());
            state_type out = co_await spec::read_bucket(client, bucket, manifest, {});
            co_return out;
        });
    if (!*state) {
        return "cannot read bucket " + bucket + ": " + state->err().describe();
    }
    const auto& st = **state;
    std::string out =
        "latest entry " + st.latest + ", " + std::to_string(st.replayed.size()) + " replayed";
    auto list = [&](const char* what, const std::vector<std::string>& keys) {
        out += std::string("; ") + what + ":";
        for (const auto& k : keys) {
            out += " " + k;
        }
    };
    list("invalid", st.invalid);
    list("unreadable", st.unreadable);
    list("bad content", st.bad_content);
    return out;
}

}  // namespace mps3::test
