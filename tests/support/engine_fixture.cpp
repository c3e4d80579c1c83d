#include "engine_fixture.hpp"

#include <doctest/doctest.h>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>

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
    // Warnings and errors on stderr (ctest shows them for a failed test): the why of a
    // store that did not converge in time.
    c.log = [name = "store " + std::to_string(stores_made)](
                log_level level, std::string_view component, std::string_view message) {
        if (level >= log_level::warn) {
            std::fprintf(stderr, "%s %.*s: %.*s\n", name.c_str(),
                         static_cast<int>(component.size()), component.data(),
                         static_cast<int>(message.size()), message.data());
        }
    };
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
