// mps3d and the errors no retry fixes (issue 11). A configuration that can never work stops it
// at start with exit code 2 and a message naming the setting; an error only the server's owner
// or the operator can fix (here a bucket that does not exist: NoSuchBucket) leaves local service
// running, shows in `status`, is logged once rather than once per try, and the queue goes up by
// itself once the bucket exists.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

struct start_attempt {
    std::filesystem::path dir = make_temp_dir("cfgerr");
    std::filesystem::path empty_config = dir / "empty.conf";

    start_attempt() { std::ofstream(empty_config) << "# no stores\n"; }
    ~start_attempt() { std::filesystem::remove_all(dir); }

    // mps3d with these arguments after its own socket and state directory; it must exit.
    command_result run(std::vector<std::string> args, bool with_credentials = true) const {
        child_options o;
        o.argv = {mps3d_path(), "--socket", (dir / "run" / "mps3d.sock").string(), "--state-dir",
                  (dir / "state").string()};
        o.argv.insert(o.argv.end(), args.begin(), args.end());
        o.env = {{"HOME", dir.string()}};  // no ~/.aws/credentials to find
        if (with_credentials) {
            o.env["AWS_ACCESS_KEY_ID"] = shared_server().access_key();
            o.env["AWS_SECRET_ACCESS_KEY"] = shared_server().secret_key();
        }
        o.unset_env = {"AWS_PROFILE",
                       "AWS_SESSION_TOKEN",
                       "AWS_ENDPOINT_URL",
                       "AWS_ENDPOINT_URL_S3",
                       "AWS_REGION",
                       "AWS_DEFAULT_REGION",
                       "AWS_SHARED_CREDENTIALS_FILE",
                       "AWS_CONFIG_FILE",
                       "NOTIFY_SOCKET",
                       "LISTEN_FDS",
                       "LISTEN_PID",
                       "JOURNAL_STREAM",
                       "XDG_CONFIG_HOME"};
        return run_command(std::move(o), 30s);
    }

    // Nothing was created: the refusal came before the socket and the replicas.
    [[nodiscard]] bool nothing_created() const {
        return !std::filesystem::exists(dir / "run") && !std::filesystem::exists(dir / "state");
    }
};

}  // namespace

TEST_CASE("mps3d: a configuration no retry can fix exits 2 at start, naming the setting") {
    start_attempt t;
    const auto& endpoint = shared_server().endpoint_url();

    SUBCASE("a bucket name S3 refuses, by flag") {
        const auto r =
            t.run({"--config", t.empty_config.string(), "--endpoint", endpoint, "--bucket", "b1"});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(r.err.find("--bucket: bucket name must be 3 to 63 characters long: 'b1'") !=
                          std::string::npos,
                      r.err);
    }
    SUBCASE("a limit out of its range, in the configuration file") {
        const auto conf = t.dir / "limits.conf";
        std::ofstream(conf) << "[daemon]\nmax_connections = 0\n[store \"notes\"]\nendpoint = "
                            << endpoint << "\nbucket = notes-bucket\n";
        const auto r = t.run({"--config", conf.string()});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(
            r.err.find(conf.string() + ": line 2: max_connections: expected a whole "
                                       "number from 1 to 65536, not '0'") != std::string::npos,
            r.err);
        CHECK(t.nothing_created());
    }
    SUBCASE("limits that disagree: an answer too small for the largest value") {
        const auto conf = t.dir / "limits.conf";
        std::ofstream(conf) << "[daemon]\nmax_value_bytes = 100000\nmax_answer_bytes = 100000\n"
                            << "[store \"notes\"]\nendpoint = " << endpoint
                            << "\nbucket = notes-bucket\n";
        const auto r = t.run({"--config", conf.string()});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(r.err.find("max_answer_bytes (100000) must be at least max_value_bytes") !=
                          std::string::npos,
                      r.err);
        CHECK(t.nothing_created());
    }
    SUBCASE("a bucket name S3 refuses, in the configuration file") {
        const auto conf = t.dir / "bad.conf";
        std::ofstream(conf) << "[store \"notes\"]\nendpoint = " << endpoint
                            << "\nbucket = no_such bucket\n";
        const auto r = t.run({"--config", conf.string()});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(r.err.find(conf.string() + ": line 3: bucket: bucket name may only hold") !=
                          std::string::npos,
                      r.err);
    }
    SUBCASE("a bucket name AWS refuses, with AWS's endpoint and virtual-hosted addressing") {
        const auto r = t.run({"--config", t.empty_config.string(), "--bucket", "Team_Notes",
                              "--region", "eu-west-1", "--addressing-style", "virtual"});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(r.err.find("store 'default' (the command line): bucket 'Team_Notes': a "
                                 "bucket on AWS") != std::string::npos,
                      r.err);
    }
    SUBCASE("an addressing style that does not exist") {
        const auto r = t.run({"--config", t.empty_config.string(), "--endpoint", endpoint,
                              "--bucket", "notes", "--addressing-style", "host"});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(r.err.find("--addressing-style: addressing_style must be auto, path or "
                                 "virtual, not 'host'") != std::string::npos,
                      r.err);
    }
    SUBCASE("an endpoint that is not a URL") {
        const auto r = t.run({"--config", t.empty_config.string(), "--endpoint", "127.0.0.1:9000",
                              "--bucket", "notes"});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(r.err.find("--endpoint: endpoint URL '127.0.0.1:9000' has no scheme") !=
                          std::string::npos,
                      r.err);
    }
    SUBCASE("a region that cannot be signed for") {
        const auto r = t.run({"--config", t.empty_config.string(), "--endpoint", endpoint,
                              "--bucket", "notes", "--region", "eu west"});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(r.err.find("--region: region may only hold") != std::string::npos, r.err);
    }
    SUBCASE("a manifest whose entry keys cannot be object keys") {
        const auto r = t.run({"--config", t.empty_config.string(), "--endpoint", endpoint,
                              "--bucket", "notes", "--manifest", std::string(1020, 'm')});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(
            r.err.find("store 'default' (the command line): manifest key") != std::string::npos,
            r.err);
    }
    SUBCASE("no credentials anywhere") {
        const auto r = t.run(
            {"--config", t.empty_config.string(), "--endpoint", endpoint, "--bucket", "notes"},
            false);
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(r.err.find("store 'default' (the command line): ") != std::string::npos,
                      r.err);
        CHECK_MESSAGE(r.err.find("no credentials") != std::string::npos, r.err);
    }
    CHECK(t.nothing_created());
}

TEST_CASE(
    "mps3d: a bucket that does not exist: served locally, shown in status, logged once, "
    "recovered by itself once it exists") {
    const std::string bucket = unique_bucket("nobucket");  // not created yet
    const auto dir = make_temp_dir("nobucket");
    daemon_process d(shared_server(), daemon_options{bucket, "manifest.json", dir / "d"});
    d.start();
    auto c = connect_to(d);

    // Local service does not wait for the bucket.
    for (int i = 0; i < 5; ++i) {
        call(c, "put",
             R"({"key":"k/)" + std::to_string(i) + R"(","value":)" + std::to_string(i) + "}");
    }
    CHECK(compact_json(call(c, "get", R"({"key":"k/3"})")["value"]) == "3");

    // Several tries, all failing the same way: status says so, the log says it once.
    rapidjson::Document st;
    const bool failing = wait_until(
        [&] {
            st = call(c, "status", "{}");
            return st["lastErrorKind"].IsString() && st["failedAttempts"].GetUint64() >= 3;
        },
        60s);
    REQUIRE_MESSAGE(failing, "status: " << compact_json(st) << "\nlog:\n" << d.log());
    CHECK(std::string(st["lastErrorKind"].GetString()) == "persistent");
    CHECK(std::string(st["lastError"].GetString()).find("NoSuchBucket") != std::string::npos);
    CHECK(st["online"].GetBool());
    CHECK(st["queuedWrites"].GetUint64() == 5);
    CHECK(st["failingSince"].IsString());
    CHECK(st["nextAttempt"].IsString());
    CHECK(st["lastSync"].IsNull());

    // Writes while it backs off neither cut the backoff short nor add log lines.
    const auto attempts_before = st["failedAttempts"].GetUint64();
    for (int i = 5; i < 25; ++i) {
        call(c, "put",
             R"({"key":"k/)" + std::to_string(i) + R"(","value":)" + std::to_string(i) + "}");
    }
    st = call(c, "status", "{}");
    CHECK(st["failedAttempts"].GetUint64() <= attempts_before + 2);
    CHECK(st["queuedWrites"].GetUint64() == 25);

    const auto while_failing = d.log();
    CHECK_MESSAGE(count_of(while_failing, "sync failed") == 1, while_failing);
    CHECK(count_of(while_failing,
                   "level=error component=sync msg=\"store default: sync failed "
                   "(persistent: create the bucket") == 1);

    // `mps3ctl status` shows it too.
    const auto table = d.ctl({"status"});
    CHECK(table.exit_code == 0);
    CHECK_MESSAGE(table.out.find("error kind         persistent") != std::string::npos, table.out);

    // The operator creates the bucket: the queue goes up without anyone touching mps3d.
    create_bucket_now(shared_server(), bucket);
    const bool recovered = wait_until(
        [&] {
            st = call(c, "status", "{}");
            return st["queuedWrites"].GetUint64() == 0 && st["lastErrorKind"].IsNull();
        },
        60s);
    REQUIRE_MESSAGE(recovered, "status: " << compact_json(st) << "\nlog:\n" << d.log());
    CHECK(std::string(st["lastError"].GetString()).empty());
    CHECK(st["failedAttempts"].GetUint64() == 0);
    CHECK(st["failingSince"].IsNull());
    CHECK(st["lastSync"].IsString());

    const auto bucket_state = read_bucket_now(shared_server(), bucket);
    CHECK(bucket_state.size() == 25);
    CHECK(bucket_state.at("k/24") == "24");

    const auto after = d.log();
    CHECK_MESSAGE(count_of(after, "sync failed") == 1, after);
    CHECK_MESSAGE(count_of(after, "sync recovered after ") == 1, after);
    CHECK(d.stop() == 0);
    std::filesystem::remove_all(dir);
}
