// Secrets never leave (issue 11): a full scenario run with recognisable ("canary") credentials,
// then everything mps3d and mps3ctl printed, every status answer and every file the daemons
// left (replica, -wal, -shm, logs) is searched for them: zero hits.
//
// The scenario: a daemon with working credentials starts, writes, answers status, is killed
// with SIGKILL mid-write (a crash), restarts and stops with SIGTERM; a second daemon signs with
// the canary secret and token and is refused with a 403 on every request.
//
// The servers differ. s3rver 3.7.1 checks only that the access key id exists (a wrong secret
// passes, a token is ignored): there the working daemon carries the canary token, and the
// refused one a wrong access key id too (403 InvalidAccessKeyId). RGW checks the signature
// (a wrong secret: 403 SignatureDoesNotMatch) and a token against its STS: there the working
// daemon carries no token, and RGW's own secret key (recognisable) is searched for too.
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

// The body of the server's answer to a GET signed with key_id, the canary secret and token.
std::string refused_body(const test_server& server, const std::string& bucket,
                         const std::string& key_id) {
    const auto config = server.client_config();
    return run_async([&](boost::asio::any_io_executor ex) -> boost::asio::awaitable<std::string> {
        s3::detail::http_transport transport(ex, {.server = config.server});
        const s3::credentials canary{.access_key_id = key_id,
                                     .secret_access_key = canary_secret,
                                     .session_token = canary_token};
        const auto request =
            s3::detail::prepare(s3::detail::get_object_request(bucket, "k/0", s3::get_options()),
                                config.server, canary, s3::clock::now());
        const auto until = std::chrono::steady_clock::now() + 10s;
        auto response = co_await transport.async_exchange(request, until);
        REQUIRE_MESSAGE(response.has_value(), (response ? "" : response.err().describe()));
        MESSAGE("the server's answer to the canary signature: HTTP " << response->status);
        CHECK(response->status >= 400);  // 403 on both servers so far
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
    // The daemons log at debug (daemon_process's level): every S3 attempt; nothing logs at trace.
    const std::vector<std::string> verbose = {"--shutdown-timeout", "1000"};

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
    const std::string refused_key_id = server.is_rgw() ? server.access_key() : "MPS3CANARYKEYID";
    refused_opts.env = {{"AWS_ACCESS_KEY_ID", refused_key_id},
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
                // Refused for good: InvalidAccessKeyId (s3rver), SignatureDoesNotMatch (RGW).
                return st["lastErrorKind"].IsString() &&
                       std::string(st["lastErrorKind"].GetString()) == "persistent";
            },
            60s);
        CHECK_MESSAGE(refusing, compact_json(st) << "\nlog:\n" << refused.log());
    }
    seen.add("mps3ctl status (refused)", refused.ctl({"status"}));
    seen.add("mps3ctl put (refused)",
             refused.ctl({"put", "--await", "remote", "--timeout", "0.5", "w/9", "9"}));
    // What such a 403 carries back (for the report: neither server echoes the token).
    MESSAGE("the server's 403 body: " << refused_body(server, bucket, refused_key_id));
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
    // It did log the refusal (without the secret).
    CHECK(count_of(refused.log(), "level=error") > 0);
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
