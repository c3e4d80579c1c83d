#include "engine_fixture.hpp"

#include <doctest/doctest.h>
#include <boost/asio/use_awaitable.hpp>

namespace mps3::test {

engine_fixture::engine_fixture(std::string_view hint)
    : bucket(unique_bucket(hint)), dir(make_temp_dir(hint)) {}

engine_fixture::~engine_fixture() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

store_config engine_fixture::config(std::chrono::milliseconds poll) {
    store_config c;
    c.s3 = shared_server().client_config();
    c.bucket = bucket;
    c.replica_path = dir / ("replica-" + std::to_string(++stores_made) + ".sqlite");
    c.poll_interval = poll;
    c.sync_mode = durability::normal;  // tests measure behaviour, not power-loss safety
    return c;
}

boost::asio::awaitable<void> engine_fixture::create_bucket(boost::asio::any_io_executor ex) const {
    s3::client client(ex, shared_server().client_config());
    auto made = co_await client.async_create_bucket(bucket);
    REQUIRE_MESSAGE(made.has_value(), (made ? "" : made.err().describe()));
}

std::string value_of(store& s, const std::string& key) {
    auto got = s.get(key);
    if (!got) {
        return "<error: " + got.err().describe() + ">";
    }
    return *got ? **got : std::string("<absent>");
}

}  // namespace mps3::test
