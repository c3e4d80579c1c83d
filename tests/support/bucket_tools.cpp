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
