// mps3d and the errors no retry fixes (issue 11). A configuration that can never work stops it
// at start with exit code 2 and a message naming the setting.
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
    SUBCASE("a bucket name AWS refuses, with AWS's endpoint") {
        const auto r = t.run({"--config", t.empty_config.string(), "--bucket", "Team_Notes",
                              "--region", "eu-west-1"});
        CHECK_MESSAGE(r.exit_code == 2, r.err);
        CHECK_MESSAGE(r.err.find("store 'default' (the command line): bucket 'Team_Notes': a "
                                 "bucket on AWS") != std::string::npos,
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
