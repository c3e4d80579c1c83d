// mps3d and the AWS CLI's files (issue 13): credentials re-read without a restart (SIGHUP, a
// changed file), a credential_process, and the endpoint and region of ~/.aws/config.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;

void write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
}

std::string credentials_file_text(const std::string& secret) {
    return "[default]\naws_access_key_id = " + shared_server().access_key() +
           "\naws_secret_access_key = " + secret + "\n";
}

bool synced(mps3::ctl::socket_client& c, rapidjson::Document& st) {
    st = call(c, "status", "{}");
    return st["queuedWrites"].GetUint64() == 0 && st["lastErrorKind"].IsNull();
}

// The store fails with the wrong secret; the file is fixed; `pick_up` makes mps3d see it.
void wrong_secret_then_fixed(bool by_sighup) {
    const std::string bucket = unique_bucket("creds");
    create_bucket_now(shared_server(), bucket);
    const auto dir = make_temp_dir("creds");
    const auto credentials = dir / "credentials";
    write_file(credentials, credentials_file_text("not-the-secret-at-all"));

    daemon_options o{bucket, "manifest.json", dir / "d"};
    o.credentials_from_env = false;
    o.env = {{"AWS_SHARED_CREDENTIALS_FILE", credentials.string()},
             {"AWS_CONFIG_FILE", (dir / "no-config").string()}};
    // With SIGHUP: a file check far away, so only the signal can be what picks the fix up.
    o.daemon_config = {std::string("credentials_check_interval_ms = ") +
                       (by_sighup ? "86400000" : "200")};
    daemon_process d(shared_server(), o);
    d.start();
    auto c = connect_to(d);  // opened before the fix and the signal, used after both
    call(c, "put", R"({"key":"k","value":1})");

    rapidjson::Document st;
    const auto refused = [&] {
        st = call(c, "status", "{}");
        return st["lastError"].IsString() &&
               std::string(st["lastError"].GetString()).find("SignatureDoesNotMatch") !=
                   std::string::npos;
    };
    REQUIRE_MESSAGE(wait_until(refused, 60s), "status: " << compact_json(st) << "\n" << d.log());
    CHECK(std::string(st["lastErrorKind"].GetString()) == "persistent");
    CHECK(st["queuedWrites"].GetUint64() == 1);
    CHECK(d.log().find("not-the-secret-at-all") == std::string::npos);

    write_file(credentials, credentials_file_text(shared_server().secret_key()));
    if (by_sighup) {
        // Without the signal the fix is not seen: the next try still fails.
        const auto before = st["failedAttempts"].GetUint64();
        const bool tried_again =
            wait_until([&] { return refused() && st["failedAttempts"].GetUint64() > before; }, 60s);
        REQUIRE_MESSAGE(tried_again, "status: " << compact_json(st) << "\n" << d.log());
        d.signal(SIGHUP);
    }
    const bool recovered = wait_until([&] { return synced(c, st); }, 60s);
    REQUIRE_MESSAGE(recovered, "status: " << compact_json(st) << "\n" << d.log());
    CHECK(read_bucket_now(shared_server(), bucket).at("k") == "1");

    // Same process, same connection.
    CHECK(d.running());
    CHECK(compact_json(call(c, "get", R"({"key":"k"})")["value"]) == "1");
    if (by_sighup) {
        CHECK(d.log().find("SIGHUP: re-reading the credentials") != std::string::npos);
    }
    CHECK(d.stop() == 0);
    std::filesystem::remove_all(dir);
}

}  // namespace

TEST_CASE("mps3d: a fixed credentials file is used after SIGHUP, without a restart") {
    if (!shared_server().is_rgw()) {
        MESSAGE("s3rver does not check signatures: a wrong secret cannot fail there; RGW only");
        return;
    }
    wrong_secret_then_fixed(true);
}

TEST_CASE("mps3d: a fixed credentials file is noticed by the file check, without a restart") {
    if (!shared_server().is_rgw()) {
        MESSAGE("s3rver does not check signatures: a wrong secret cannot fail there; RGW only");
        return;
    }
    wrong_secret_then_fixed(false);
}

TEST_CASE(
    "mps3d: credentials from a credential_process, endpoint and region from the AWS "
    "config file") {
    const std::string bucket = unique_bucket("awscfg");
    create_bucket_now(shared_server(), bucket);
    const auto dir = make_temp_dir("awscfg");
    const auto runs = dir / "runs";
    const auto script = dir / "credentials.sh";
    write_file(script, "#!/bin/sh\necho run >> '" + runs.string() +
                           "'\nprintf '{\"Version\": 1, \"AccessKeyId\": \"%s\", "
                           "\"SecretAccessKey\": \"%s\"}' \"$1\" \"$2\"\n");
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    const auto config = dir / "config";
    write_file(config, "[profile sync]\nregion = " + shared_server().region() +
                           "\nservices = local\ncredential_process = " + script.string() + " " +
                           shared_server().access_key() + " '" + shared_server().secret_key() +
                           "'\n\n[services local]\ns3 =\n  endpoint_url = " +
                           shared_server().endpoint_url() + "\n  addressing_style = path\n");

    daemon_options o{bucket, "manifest.json", dir / "d"};
    o.endpoint_in_config = false;
    o.credentials_from_env = false;
    o.store_config = {"profile = sync"};
    o.env = {{"AWS_CONFIG_FILE", config.string()},
             {"AWS_SHARED_CREDENTIALS_FILE", (dir / "no-credentials").string()}};
    daemon_process d(shared_server(), o);
    d.start();
    auto c = connect_to(d);
    call(c, "put", R"({"key":"from-process","value":"yes"})");
    rapidjson::Document st;
    REQUIRE_MESSAGE(wait_until([&] { return synced(c, st); }, 60s), "status: " << compact_json(st)
                                                                               << "\n"
                                                                               << d.log());
    CHECK(read_bucket_now(shared_server(), bucket).at("from-process") == "\"yes\"");
    CHECK(std::filesystem::exists(runs));  // the process gave the credentials
    CHECK(d.log().find(shared_server().secret_key()) == std::string::npos);
    CHECK(d.stop() == 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("mps3d: a credential_process that fails stops it at start with a clear message") {
    const auto dir = make_temp_dir("awscfgbad");
    const auto script = dir / "bad.sh";
    write_file(script,
               "#!/bin/sh\necho '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": "
               "\"leaked-if-printed\"}'\n");
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    const auto config = dir / "config";
    write_file(config, "[default]\ncredential_process = " + script.string() + "\n");

    child_options o;
    o.argv = {mps3d_path(),
              "--socket",
              (dir / "mps3d.sock").string(),
              "--state-dir",
              (dir / "state").string(),
              "--config",
              (dir / "none.conf").string(),
              "--endpoint",
              shared_server().endpoint_url(),
              "--bucket",
              "notes"};
    write_file(dir / "none.conf", "# empty\n");
    o.env = {{"HOME", dir.string()}, {"AWS_CONFIG_FILE", config.string()}};
    o.unset_env = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                   "AWS_PROFILE",       "AWS_SHARED_CREDENTIALS_FILE",
                   "NOTIFY_SOCKET",     "LISTEN_FDS",
                   "LISTEN_PID"};
    const auto r = run_command(std::move(o), 30s);
    CHECK_MESSAGE(r.exit_code == 2, r.err);
    // The log line quotes its message: the document's quotes may come escaped.
    const bool says_version = r.err.find("unsupported \\\"Version\\\"") != std::string::npos ||
                              r.err.find("unsupported \"Version\"") != std::string::npos;
    CHECK_MESSAGE(says_version, r.err);
    CHECK_MESSAGE(r.err.find("profile 'default' of " + config.string()) != std::string::npos,
                  r.err);
    CHECK(r.err.find("leaked-if-printed") == std::string::npos);
    std::filesystem::remove_all(dir);
}
