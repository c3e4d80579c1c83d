// Credentials that stay current: re-read on a file change (checked at most once per interval),
// on invalidate(), before an Expiration; a credential_process runs off the io thread.
#include "async_test.hpp"
#include "aws_test_dir.hpp"

#include "s3/time_format.hpp"

#include <mps3/s3/credential_source.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>  // doctest prints std::error_code through it
#include <string>
#include <utility>

namespace {

namespace asio = boost::asio;
using namespace mps3::s3;
using mps3::result;
using mps3::test::aws_test_dir;
using mps3::test::run_async;
using namespace std::chrono_literals;

std::string keys(const std::string& key_id) {
    return "[default]\naws_access_key_id = " + key_id + "\naws_secret_access_key = s\n";
}

std::shared_ptr<credential_source> load(const aws_test_dir& dir,
                                        std::chrono::milliseconds file_check_interval,
                                        const std::string& profile = "default") {
    credential_source::options o;
    o.where.profile = profile;
    o.env = {{"HOME", dir.path()}};
    o.file_check_interval = file_check_interval;
    auto source = credential_source::load(std::move(o));
    REQUIRE(source);
    return *source;
}

// One async_get, as a value run_async can hold (co_spawn needs a default-constructible one).
asio::awaitable<std::optional<result<credentials>>> get_once(
    std::shared_ptr<credential_source> source) {
    auto got = co_await source->async_get();
    co_return got;
}

result<credentials> get_now(const std::shared_ptr<credential_source>& source) {
    return *run_async([&](auto) { return get_once(source); }, 30s);
}

std::string key_now(const std::shared_ptr<credential_source>& source) {
    auto got = get_now(source);
    REQUIRE(got);
    return got->access_key_id;
}

// A credential_process that counts its runs: AKID1, AKID2... expiring at its argument.
std::string counting_process(const aws_test_dir& dir, const std::string& sleep_seconds = "0") {
    const std::string counter = dir.path() + "/runs";
    return dir.write("count.sh",
                     "#!/bin/sh\nsleep " + sleep_seconds + "\nn=$(cat '" + counter +
                         "' 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > '" + counter +
                         "'\nprintf '{\"Version\":1,\"AccessKeyId\":\"AKID%s\","
                         "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":\"%s\"}' "
                         "$n \"$1\"\n",
                     true);
}

struct ticking_get {
    result<credentials> got = mps3::error(mps3::errc::no_credentials, "not run");
    int ticks_meanwhile = 0;
};

// async_get while a 10 ms timer ticks on the same io thread: ticks counted before it returns.
asio::awaitable<ticking_get> get_while_ticking(std::shared_ptr<credential_source> source) {
    struct ticker {
        asio::steady_timer timer;
        int ticks = 0;
        bool done = false;
        explicit ticker(asio::any_io_executor ex) : timer(ex) {}
    };
    const auto executor = co_await asio::this_coro::executor;
    const auto state = std::make_shared<ticker>(executor);
    std::function<void()> tick;
    tick = [state, &tick] {
        state->timer.expires_after(10ms);
        state->timer.async_wait([state, next = tick](const boost::system::error_code& ec) {
            if (!ec && !state->done) {
                ++state->ticks;
                next();
            }
        });
    };
    tick();
    ticking_get out;
    out.got = co_await source->async_get();
    out.ticks_meanwhile = state->ticks;
    state->done = true;
    state->timer.cancel();
    co_return out;
}

}  // namespace

TEST_CASE(
    "credential_source: a changed credentials file is read again, at most once per "
    "interval") {
    const aws_test_dir dir;
    const std::string file = dir.write(".aws/credentials", keys("AKIDFIRST"));

    const auto often = load(dir, 0ms);
    CHECK(key_now(often) == "AKIDFIRST");
    CHECK(key_now(often) == "AKIDFIRST");
    CHECK(often->reloads() == 0);  // unchanged: not read again
    (void)dir.write(".aws/credentials", keys("AKIDSECOND"));
    CHECK(key_now(often) == "AKIDSECOND");
    CHECK(often->reloads() == 1);

    // Checked once an hour: the change goes unnoticed until invalidate() (SIGHUP).
    const auto rarely = load(dir, 1h);
    (void)dir.write(".aws/credentials", keys("AKIDTHIRD"));
    CHECK(key_now(rarely) == "AKIDSECOND");
    rarely->invalidate();
    CHECK(key_now(rarely) == "AKIDTHIRD");
    CHECK(rarely->reloads() == 1);
}

TEST_CASE("credential_source: a broken file fails the use, a fixed one recovers") {
    const aws_test_dir dir;
    (void)dir.write(".aws/credentials", keys("AKIDGOOD"));
    const auto source = load(dir, 0ms);
    (void)dir.write(".aws/credentials", "[default]\naws_access_key_id = AKIDHALF\n");
    auto broken = get_now(source);
    REQUIRE_FALSE(broken);
    CHECK(broken.err().code == mps3::errc::no_credentials);
    CHECK(broken.err().message.find("aws_secret_access_key") != std::string::npos);
    (void)dir.write(".aws/credentials", keys("AKIDFIXED"));
    CHECK(key_now(source) == "AKIDFIXED");
}

TEST_CASE("credential_source: temporary credentials are re-read 5 minutes before Expiration") {
    const aws_test_dir dir;
    const std::string process = counting_process(dir);
    const auto in = [](std::chrono::minutes m) {
        return detail::format_iso8601(std::chrono::system_clock::now() + m);
    };
    (void)dir.write(".aws/config", "[profile later]\ncredential_process = " + process + " " +
                                       in(60min) + "\n[profile soon]\ncredential_process = " +
                                       process + " " + in(4min) + "\n");
    const auto lasting = load(dir, 0ms, "later");
    CHECK(key_now(lasting) == "AKID1");
    CHECK(key_now(lasting) == "AKID1");  // an hour left: cached

    const auto expiring = load(dir, 0ms, "soon");  // run 2, at load
    CHECK(key_now(expiring) == "AKID3");           // 4 minutes left: inside the margin
}

TEST_CASE("credential_source: a credential_process runs off the io thread") {
    const aws_test_dir dir;
    const std::string process = counting_process(dir, "1");
    (void)dir.write(".aws/config",
                    "[default]\ncredential_process = " + process + " 2000-01-01T00:00:00Z\n");
    const auto source = load(dir, 0ms);  // run 1 (expired at once: re-read on every use)
    auto outcome = run_async([&](auto) { return get_while_ticking(source); }, 30s);
    REQUIRE(outcome.got);
    CHECK(outcome.got->access_key_id == "AKID2");
    // The process sleeps a second; the io thread kept running timers meanwhile.
    CHECK(outcome.ticks_meanwhile > 0);
}
