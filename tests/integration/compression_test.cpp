// Compressed entries on a real server (docs/bucket-format.md, "Compressed entries"): the server
// stores `Content-Encoding: gzip` with the object and returns it, with the stored bytes, on GET;
// mps3d's entries land that way and read back; an entry whose gzip body is corrupt is
// unreadable, not fatal. Runs on s3rver and Ceph RGW.
#include "async_test.hpp"
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"

#include "protocol/entry_body.hpp"
#include "protocol/entry_key.hpp"
#include "protocol/gzip.hpp"
#include "protocol/object_encoding.hpp"

#include <mps3/s3/client.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace mps3;
using namespace mps3::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

constexpr const char* manifest = "manifest.json";

s3::put_options json_put(bool gzip) {
    s3::put_options o;
    o.content_type = "application/json";
    if (gzip) {
        o.content_encoding = "gzip";
    }
    return o;
}

// The newest entry of the manifest, as stored (not decoded).
s3::get_result newest_entry(const std::string& bucket) {
    return run_async([&](auto ex) -> asio::awaitable<s3::get_result> {
        s3::client c(ex, shared_server().client_config());
        s3::list_options options;
        options.prefix = protocol::entry_prefix(manifest);
        auto listed = co_await c.async_list_all(bucket, options);
        REQUIRE_MESSAGE(listed.has_value(), (listed ? "" : listed.err().describe()));
        REQUIRE_FALSE(listed->objects.empty());
        // Entry keys sort newest first.
        auto got = co_await c.async_get_object(bucket, listed->objects.front().key);
        REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.err().describe()));
        co_return std::move(*got);
    });
}

void put_now(const std::string& bucket, const std::string& key, const std::string& body,
             bool gzip) {
    run_async([&](auto ex) -> asio::awaitable<int> {
        s3::client c(ex, shared_server().client_config());
        const auto options = json_put(gzip);
        auto put = co_await c.async_put_object(bucket, key, body, options);
        REQUIRE_MESSAGE(put.has_value(), (put ? "" : put.err().describe()));
        co_return 0;
    });
}

std::string daemon_value(ctl::socket_client& c, const std::string& key) {
    auto got = call(c, "get", R"({"key":")" + key + R"("})");
    return got["found"].GetBool() ? compact_json(got["value"]) : std::string("<absent>");
}

}  // namespace

TEST_CASE("compression: the server keeps Content-Encoding gzip and returns the stored bytes") {
    const auto bucket = unique_bucket("gzip-header");
    create_bucket_now(shared_server(), bucket);
    const std::string json = R"({"files":{},"update":{"files":{}}})";
    auto compressed = protocol::gzip_encode(json);
    REQUIRE(compressed.has_value());

    put_now(bucket, "gz", *compressed, true);
    put_now(bucket, "plain", json, false);
    run_async([&](auto ex) -> asio::awaitable<int> {
        s3::client c(ex, shared_server().client_config());
        auto gz = co_await c.async_get_object(bucket, "gz");
        REQUIRE_MESSAGE(gz.has_value(), (gz ? "" : gz.err().describe()));
        CHECK(gz->content_encoding == "gzip");
        CHECK(gz->content_type == "application/json");
        CHECK(gz->body == *compressed);  // stored as sent: no server-side re-encoding
        auto decoded = protocol::decoded_object_body(gz->body, gz->content_encoding);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == json);

        auto plain = co_await c.async_get_object(bucket, "plain");
        REQUIRE(plain.has_value());
        CHECK(plain->content_encoding.empty());
        CHECK(plain->body == json);
        co_return 0;
    });
}

TEST_CASE("compression: mps3d stores gzip entries; a corrupt one is skipped, the store serves") {
    const auto bucket = unique_bucket("gzip-entries");
    const auto dir = make_temp_dir("gzip-entries");
    create_bucket_now(shared_server(), bucket);
    daemon_process a(shared_server(), daemon_options{.bucket = bucket, .dir = dir / "a"});
    a.start();
    auto ca = connect_to(a);
    (void)call(ca, "put", R"({"key":"k","value":{"n":1},"await":"remote"})");

    const auto stored = newest_entry(bucket);
    CHECK(stored.content_encoding == "gzip");
    CHECK(stored.content_type == "application/json");
    REQUIRE(protocol::has_gzip_magic(stored.body));
    auto text = protocol::gzip_decode(stored.body);
    REQUIRE(text.has_value());
    auto body = protocol::parse_entry_body(*text);
    REQUIRE(body.has_value());
    CHECK(body->update.contains(bucket + "/k"));
    CHECK(read_bucket_now(shared_server(), bucket).at("k") == R"({"n":1})");

    // A newer entry whose gzip body is cut off after its header: unreadable for every reader.
    const auto now = protocol::to_timestamp(std::chrono::system_clock::now());
    const auto corrupt_key = protocol::format_entry_key(manifest, now, "bad", 0);
    put_now(bucket, corrupt_key, stored.body.substr(0, 12), true);

    daemon_process b(shared_server(), daemon_options{.bucket = bucket, .dir = dir / "b"});
    b.start();
    auto cb = connect_to(b);
    CHECK(wait_until([&] { return daemon_value(cb, "k") == R"({"n":1})"; }, 30s));
    (void)call(ca, "put", R"({"key":"k2","value":2,"await":"remote"})");
    CHECK_MESSAGE(wait_until([&] { return daemon_value(cb, "k2") == "2"; }, 30s), b.log());
    CHECK(b.log().find(corrupt_key) != std::string::npos);  // said which entry and why
    CHECK(a.running());
    CHECK(b.running());
    (void)a.stop();
    (void)b.stop();
    std::filesystem::remove_all(dir);
}
