// mps3d as a process: who may connect (SO_PEERCRED, with a real uid switch), and stopping with
// writes queued (SIGTERM flushes within its bound; the exit code says what was left).
#include "bucket_tools.hpp"
#include "daemon_process.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;

struct one_daemon {
    std::string bucket = unique_bucket("life");
    std::filesystem::path dir = make_temp_dir("life");
    daemon_process d;

    explicit one_daemon(std::vector<std::string> daemon_config = {}, bool offline = false)
        : d(shared_server(), daemon_options{bucket, "manifest.json", dir / "d", 100, offline,
                                            std::move(daemon_config)}) {
        create_bucket_now(shared_server(), bucket);
    }
    ~one_daemon() { std::filesystem::remove_all(dir); }
};

std::vector<std::string> put_all_args(int from, int count) {
    std::vector<std::string> args = {"put-all"};
    for (int i = from; i < from + count; ++i) {
        args.push_back("q/" + std::to_string(i) + "=" + std::to_string(i));
    }
    return args;
}

}  // namespace

TEST_CASE("mps3d lifecycle: a connection from another uid is refused, an allowed uid served") {
    // A real uid switch needs root (CI runs as root). Without it this test cannot show anything,
    // so it fails rather than pass vacuously.
    REQUIRE_MESSAGE(::geteuid() == 0, "this test switches uid: run it as root");
    constexpr uid_t allowed = 65533;
    constexpr uid_t stranger = 65534;
    one_daemon t({"allowed_uids = " + std::to_string(allowed)});
    // The other users must be able to reach the socket's directory.
    ::chmod(t.dir.c_str(), 0755);
    t.d.start();
    ::chmod((t.dir / "d").c_str(), 0755);

    child_options as_stranger;
    as_stranger.argv = {mps3ctl_path(), "--socket", t.d.socket().string(), "status"};
    as_stranger.run_as_uid = stranger;
    auto refused = run_command(as_stranger);
    CHECK(refused.exit_code == 1);
    CHECK_MESSAGE(refused.err.find("Forbidden") != std::string::npos, refused.err);
    CHECK(refused.err.find("-32008") != std::string::npos);

    child_options as_allowed = as_stranger;
    as_allowed.run_as_uid = allowed;
    auto served = run_command(as_allowed);
    CHECK_MESSAGE(served.exit_code == 0, served.err);

    CHECK(t.d.log().find("refused a connection from uid " + std::to_string(stranger)) !=
          std::string::npos);
    CHECK(t.d.running());
}

TEST_CASE("mps3d lifecycle: SIGTERM with queued writes flushes them to the bucket, exit 0") {
    one_daemon t;
    t.d.start();
    REQUIRE(t.d.ctl(put_all_args(0, 300)).exit_code == 0);
    for (int i = 300; i < 320; ++i) {
        REQUIRE(t.d.ctl({"put", "q/" + std::to_string(i), std::to_string(i)}).exit_code == 0);
    }
    auto status = t.d.ctl({"status", "--json"});
    MESSAGE("status just before SIGTERM: " << status.out);
    const auto code = t.d.stop(60s);
    REQUIRE_MESSAGE(code.has_value(), "mps3d did not stop; log:\n" << t.d.log());
    CHECK_MESSAGE(*code == 0, t.d.log());
    const auto state = read_bucket_now(shared_server(), t.bucket);
    CHECK(state.size() == 320);
    for (int i = 0; i < 320; i += 37) {
        CHECK(state.at("q/" + std::to_string(i)) == std::to_string(i));
    }
}

TEST_CASE(
    "mps3d lifecycle: stopped while offline: exit 3 at once, the writes kept and sent later") {
    one_daemon t({}, /*offline=*/true);
    t.d.start();
    REQUIRE(t.d.ctl(put_all_args(0, 50)).exit_code == 0);
    const auto before = std::chrono::steady_clock::now();
    const auto code = t.d.stop(60s);
    REQUIRE(code.has_value());
    CHECK(*code == 3);
    // Offline: nothing to wait for, so no flush deadline is spent.
    CHECK(std::chrono::steady_clock::now() - before < 5s);
    CHECK(t.d.log().find("queued writes stay in the replica") != std::string::npos);
    CHECK(read_bucket_now(shared_server(), t.bucket).empty());

    t.d.set_offline(false);
    t.d.start();
    auto flushed = t.d.ctl({"flush", "--timeout", "30"});
    CHECK_MESSAGE(flushed.exit_code == 0, flushed.err);
    CHECK(read_bucket_now(shared_server(), t.bucket).size() == 50);
    CHECK(t.d.stop(60s) == 0);
}
