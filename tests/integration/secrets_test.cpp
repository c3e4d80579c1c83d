// Secrets never leave (issue 11): a full scenario run with recognisable ("canary") credentials,
// then everything mps3d and mps3ctl printed, every status answer and every file the daemons
// left (replica, -wal, -shm, logs) is searched for them: zero hits.
//
// The scenario: a daemon with working credentials starts, writes, answers status, is killed
// with SIGKILL mid-write (a crash), restarts and stops with SIGTERM; a second daemon signs with
// a wrong secret (the canary) and the canary session token, so every request it makes is
// refused with a 403, whose body the server fills with what it received (s3rver echoes the
// canonical request, session token included: checked here, so the 403 case is a real one).
//
// s3rver accepts a session token and ignores it, so the working daemon carries the canary token
// there. RGW checks a token against its STS and refuses an unknown one, so there the token is
// only carried by the refused daemon; RGW's own secret key (recognisable) is searched for too.
// s3rver's secret is "S3RVER", the same text as its access key id, which is not secret and may
// appear: it is not searched for.
#include "async_test.hpp"
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"
#include "s3/http_transport.hpp"
#include "s3/request_builder.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
namespace s3 = mps3::s3;

const std::string canary_secret = "mps3CanarySecretKey7f3a9c2e51d84b06aa";
const std::string canary_token = "mps3CanarySessionToken0c4d8e1f6a2b9375";

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The body of the server's answer to a GET signed with the canary secret and token.
std::string refused_body(const test_server& server, const std::string& bucket) {
    const auto config = server.client_config();
    return run_async([&](boost::asio::any_io_executor ex) -> boost::asio::awaitable<std::string> {
        s3::detail::http_transport transport(ex, {.server = config.server});
        const s3::credentials canary{.access_key_id = server.access_key(),
                                     .secret_access_key = canary_secret,
                                     .session_token = canary_token};
        const auto request =
            s3::detail::prepare(s3::detail::get_object_request(bucket, "k/0", s3::get_options()),
                                config.server, canary, s3::clock::now());
        const auto until = std::chrono::steady_clock::now() + 10s;
        auto response = co_await transport.async_exchange(request, until);
        REQUIRE_MESSAGE(response.has_value(), (response ? "" : response.err().describe()));
        CHECK(response->status == 403);
        co_return response->body;
    });
}

// Everything the test saw printed or answered, by where it came from.
struct printed {
    std::map<std::string, std::string> texts;
    void add(const std::string& where, const std::string& text) { texts[where] += text; }
    void add(const std::string& where, const command_result& r) {
        add(where, r.out);
        add(where, r.err);
    }
};

}  // namespace

TEST_CASE("secrets: the secret key and session token never appear in output, status or files") {
    const auto& server = shared_server();
    const std::string bucket = unique_bucket("secrets");
    const auto dir = make_temp_dir("secrets");
    create_bucket_now(server, bucket);
    printed seen;

    std::vector<std::string> secrets = {canary_secret, canary_token};
    if (server.is_rgw()) {
        secrets.push_back(server.secret_key());
    }
    std::map<std::string, std::string> good_env = {{"AWS_ACCESS_KEY_ID", server.access_key()},
                                                   {"AWS_SECRET_ACCESS_KEY", server.secret_key()}};
    if (!server.is_rgw()) {
        good_env["AWS_SESSION_TOKEN"] = canary_token;
    }
    const std::vector<std::string> verbose = {"--log-level", "trace", "--shutdown-timeout", "1000"};

    daemon_options good_opts{bucket, "manifest.json", dir / "good"};
    good_opts.env = good_env;
    good_opts.extra_args = verbose;
    daemon_process good(server, good_opts);
    good.start();
    for (int i = 0; i < 3; ++i) {
        const auto r =
            good.ctl({"put", "--await", "remote", "k/" + std::to_string(i), std::to_string(i)});
        seen.add("mps3ctl put", r);
        REQUIRE_MESSAGE(r.exit_code == 0, r.err << "\nlog:\n" << good.log());
    }
    seen.add("mps3ctl status", good.ctl({"status"}));
    seen.add("mps3ctl get", good.ctl({"get", "k/1"}));
    {
        auto c = connect_to(good);
        seen.add("status answer", compact_json(call(c, "status", "{}")));
    }

    // 403s: the canary secret (wrong) and token, on the same bucket.
    daemon_options refused_opts{bucket, "manifest.json", dir / "refused"};
    refused_opts.env = {{"AWS_ACCESS_KEY_ID", server.access_key()},
                        {"AWS_SECRET_ACCESS_KEY", canary_secret},
                        {"AWS_SESSION_TOKEN", canary_token}};
    refused_opts.extra_args = verbose;
    daemon_process refused(server, refused_opts);
    refused.start();
    {
        auto c = connect_to(refused);
        for (int i = 0; i < 3; ++i) {
            call(c, "put", R"({"key":"w/)" + std::to_string(i) + R"(","value":1})");
        }
        rapidjson::Document st;
        const bool refusing = wait_until(
            [&] {
                st = call(c, "status", "{}");
                seen.add("status answer", compact_json(st));
                return st["lastErrorKind"].IsString() &&
                       std::string(st["lastError"].GetString()).find("403") != std::string::npos;
            },
            60s);
        CHECK_MESSAGE(refusing, compact_json(st) << "\nlog:\n" << refused.log());
    }
    seen.add("mps3ctl status (refused)", refused.ctl({"status"}));
    seen.add("mps3ctl put (refused)",
             refused.ctl({"put", "--await", "remote", "--timeout", "0.5", "w/9", "9"}));
    // The 403 bodies the daemon received carry what the server was sent.
    const auto body = refused_body(server, bucket);
    MESSAGE("the server's 403 body: " << body);
    if (!server.is_rgw()) {
        CHECK_MESSAGE(count_of(body, canary_token) > 0, "s3rver no longer echoes the token");
    }
    seen.add("refused daemon exit", std::to_string(refused.stop().value_or(-1)));

    // A crash mid-write, a restart, a clean stop.
    auto writer = good.ctl_background({"put", "k/3", "3"});
    good.kill9();
    (void)writer->wait(30s);
    seen.add("mps3ctl put (crash)", writer->read_all(5s) + writer->stderr_text());
    good.start();
    const auto after = good.ctl({"put", "--await", "remote", "k/4", "4"});
    seen.add("mps3ctl put (after the crash)", after);
    CHECK_MESSAGE(after.exit_code == 0, after.err << "\nlog:\n" << good.log());
    seen.add("mps3ctl status (after the crash)", good.ctl({"status"}));
    seen.add("mps3ctl list", good.ctl({"list", "--prefix", "k/"}));
    CHECK(good.stop() == 0);

    seen.add("mps3d output (good)", good.log() + good.output());
    seen.add("mps3d output (refused)", refused.log() + refused.output());
    CHECK(count_of(refused.log(), "403") > 0);  // it did log the refusal, without the secret
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            seen.add("file " + entry.path().string(), file_bytes(entry.path()));
        }
    }
    CHECK(std::filesystem::exists(good.replica()));

    std::size_t total = 0;
    for (const auto& secret : secrets) {
        for (const auto& [where, text] : seen.texts) {
            const auto hits = count_of(text, secret);
            total += hits;
            CHECK_MESSAGE(hits == 0, secret << " found " << hits << " time(s) in " << where);
        }
    }
    MESSAGE("searched " << seen.texts.size() << " sources for " << secrets.size()
                        << " secrets: " << total << " hits");
    std::filesystem::remove_all(dir);
}
