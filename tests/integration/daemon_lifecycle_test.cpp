// mps3d as a process: who may connect (SO_PEERCRED, with a real uid switch), and stopping with
// writes queued (SIGTERM flushes within its bound; the exit code says what was left).
#include "bucket_tools.hpp"
#include "daemon_process.hpp"

#include "ctl/socket_client.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <optional>
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

TEST_CASE(
    "mps3d lifecycle: disk full refuses the write clearly, nothing half-written, reads go on") {
    // RLIMIT_FSIZE makes the kernel refuse to grow the replica past 4 MiB (EFBIG), as a full
    // disk would (ENOSPC): the same SQLite write failure, produced for real.
    one_daemon t({}, /*offline=*/true);
    t.d.set_max_file_bytes(std::uint64_t{4} << 20);
    t.d.start();
    REQUIRE(t.d.ctl({"put", "kept", "1"}).exit_code == 0);
    auto c = mps3::ctl::socket_client::connect(t.d.socket());
    REQUIRE(c.has_value());
    const std::string big(256 * 1024, 'b');
    std::optional<mps3::ipc::rpc_error> refused;
    int failed_at = -1;
    for (int i = 0; i < 100 && !refused; ++i) {
        const auto p = "big/" + std::to_string(i);
        auto r = c->call("putAll",
                         R"({"ops":[{"key":")" + p + R"(/a","value":")" + big + R"("},{"key":")" +
                             p + R"(/b","value":")" + big + R"("}]})",
                         mps3::ctl::socket_client::clock::now() + 60s);
        REQUIRE(r.has_value());
        if (!r->ok()) {
            refused = r->error;
            failed_at = i;
        }
    }
    REQUIRE_MESSAGE(refused.has_value(), "4 MiB of file limit never filled up");
    MESSAGE("refused after " << failed_at << " batches: " << refused->message);
    CHECK(refused->code == -32006);
    CHECK(refused->message.find("SQLITE") != std::string::npos);
    // Atomic: neither key of the refused batch is there.
    const auto p = "big/" + std::to_string(failed_at);
    CHECK(t.d.ctl({"get", p + "/a"}).exit_code == 3);
    CHECK(t.d.ctl({"get", p + "/b"}).exit_code == 3);
    // Reads are still served, the daemon is up.
    auto kept = t.d.ctl({"get", "kept"});
    CHECK(kept.exit_code == 0);
    CHECK(kept.out == "1\n");
    CHECK(t.d.ctl({"get", "big/0/a"}).exit_code == 0);
    CHECK(t.d.ctl({"status"}).exit_code == 0);
    CHECK(t.d.running());
}
