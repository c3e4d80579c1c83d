// Durability: SIGKILL at random moments never loses an acknowledged batch nor leaves half of
// one; an uncommitted transaction vanishes on reopen; two connections see each other's
// commits and a held write lock is a clear SQLITE_BUSY; a full disk leaves nothing
// half-written and reads keep working. Plus the 100,000-key figures (printed, not asserted).
#include "replica/replica.hpp"
#include "replica_test_support.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace mps3::replica;
using mps3::write_op;

namespace {

using mps3::replica::testing::temp_dir;

using steady = std::chrono::steady_clock;

double ms_since(steady::time_point start) {
    return std::chrono::duration<double, std::milli>(steady::now() - start).count();
}

// The ops of batch number n written by the crash child: 1 to 5 ops, so atomicity is visible.
std::vector<write_op> crash_batch(int cycle, std::int64_t n) {
    std::vector<write_op> ops;
    const auto count = 1 + n % 5;
    for (std::int64_t i = 0; i < count; ++i) {
        ops.push_back(
            {"c" + std::to_string(cycle) + "/" + std::to_string(n) + "/" + std::to_string(i),
             std::to_string(n)});
    }
    return ops;
}

bool read_exact(int fd, void* buf, std::size_t n) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        const auto got = ::read(fd, p, n);
        if (got <= 0) {
            return false;
        }
        p += got;
        n -= static_cast<std::size_t>(got);
    }
    return true;
}

// Runs body in a child process; the child never returns into doctest.
template <class F>
pid_t spawn(int ack_fd_to_close, F body) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(ack_fd_to_close);
        body();
        ::_exit(0);
    }
    return pid;
}

std::string integrity(const std::filesystem::path& file) {
    auto db = sqlite::database::open(file.string(), false);
    REQUIRE(db.has_value());
    auto text = db->pragma_text("integrity_check");
    REQUIRE(text.has_value());
    return *text;
}

}  // namespace

TEST_CASE("replica durability: SIGKILL never loses an acknowledged batch or splits one") {
    temp_dir dir;
    const auto file = dir.path / "crash.db";
    std::uint32_t seed = std::random_device{}();
    if (const char* env = std::getenv("MPS3_TEST_SEED")) {
        seed = static_cast<std::uint32_t>(std::strtoul(env, nullptr, 10));
    }
    MESSAGE("seed " << seed << " (MPS3_TEST_SEED to repeat)");
    std::mt19937 rng(seed);
    {
        auto created = replica::open(file);  // create it before any child runs
        REQUIRE(created.has_value());
    }
    constexpr int cycles = 6;
    std::int64_t acknowledged = 0;
    for (int cycle = 0; cycle < cycles; ++cycle) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        const pid_t pid = spawn(fds[0], [&] {
            // The child: write batches forever, acknowledging each after it committed.
            auto r = replica::open(file);
            if (!r) {
                ::_exit(2);
            }
            for (std::int64_t n = 0;; ++n) {
                auto q = r->enqueue_local_write(crash_batch(cycle, n));
                if (!q) {
                    ::_exit(3);
                }
                const std::int64_t ack[2] = {n, q->batch_id};
                if (::write(fds[1], ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) {
                    ::_exit(4);
                }
            }
        });
        ::close(fds[1]);

        // Let it acknowledge a random number of batches, then kill it mid-flight (a random
        // sub-millisecond pause moves the kill around inside the next transaction).
        const auto target = 1 + static_cast<int>(rng() % 150);
        std::map<std::int64_t, std::int64_t> acks;  // batch number -> batch id
        std::int64_t ack[2];
        for (int i = 0; i < target && read_exact(fds[0], ack, sizeof ack); ++i) {
            acks[ack[0]] = ack[1];
        }
        ::usleep(static_cast<useconds_t>(rng() % 1000));
        ::kill(pid, SIGKILL);
        int wstatus = 0;
        ::waitpid(pid, &wstatus, 0);
        CHECK(WIFSIGNALED(wstatus));
        while (read_exact(fds[0], ack, sizeof ack)) {  // acks written before it died count too
            acks[ack[0]] = ack[1];
        }
        ::close(fds[0]);
        acknowledged += static_cast<std::int64_t>(acks.size());

        auto r = replica::open(file);
        REQUIRE(r.has_value());
        std::map<std::int64_t, outbox_batch> present;
        auto batches = r->pending_batches(1'000'000);
        REQUIRE(batches.has_value());
        for (auto& b : *batches) {
            present.emplace(b.id, std::move(b));
        }
        for (const auto& [batch_no, batch_id] : acks) {
            const auto n = batch_no;  // INFO captures: plain variables, not structured bindings
            const auto id = batch_id;
            INFO("cycle " << cycle << " batch " << n << " id " << id);
            REQUIRE(present.count(id) == 1);
            const auto expected = crash_batch(cycle, n);
            const auto& ops = present[id].ops;
            REQUIRE(ops.size() == expected.size());
            for (std::size_t i = 0; i < ops.size(); ++i) {
                CHECK(ops[i].write == expected[i]);
            }
        }
        // Batches committed but not yet acknowledged may exist; none may be partial.
        for (const auto& [id, b] : present) {
            REQUIRE_FALSE(b.ops.empty());
            const auto& first = b.ops.front().write.key;
            const auto n = std::stoll(first.substr(first.find('/') + 1));
            CHECK(b.ops.size() == static_cast<std::size_t>(1 + n % 5));
        }
        // And the change log holds one row per key of each batch, committed with it.
        std::int64_t ops_total = 0;
        for (const auto& [id, b] : present) {
            ops_total += static_cast<std::int64_t>(b.ops.size());
        }
        CHECK(r->changes_since(0, 10'000'000).value().size() ==
              static_cast<std::size_t>(ops_total));
    }
    CHECK(integrity(file) == "ok");
    MESSAGE("crash cycles " << cycles << ", batches acknowledged " << acknowledged << ", lost 0");
}

TEST_CASE("replica durability: a transaction killed before COMMIT leaves no trace") {
    temp_dir dir;
    const auto file = dir.path / "uncommitted.db";
    {
        auto r = replica::open(file);
        REQUIRE(r.has_value());
        REQUIRE(r->enqueue_local_write(std::vector<write_op>{{"kept", "1"}}).has_value());
    }
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = spawn(fds[0], [&] {
        auto db = sqlite::database::open(file.string(), false);
        if (!db) {
            ::_exit(2);
        }
        auto txn = sqlite::transaction::begin(*db, sqlite::transaction::kind::immediate);
        if (!txn || !db->exec("INSERT INTO outbox_batch (queued_at) VALUES (1); "
                              "INSERT INTO outbox (batch_id, key, value) "
                              "VALUES (last_insert_rowid(), 'lost', '1'); "
                              "INSERT INTO changes (key, origin, at) VALUES ('lost', 'local', 1)",
                              "write")) {
            ::_exit(3);
        }
        const char ready = 'r';
        (void)!::write(fds[1], &ready, 1);
        ::pause();  // killed here, inside the transaction
    });
    ::close(fds[1]);
    char ready = 0;
    REQUIRE(read_exact(fds[0], &ready, 1));
    ::close(fds[0]);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);

    auto r = replica::open(file);
    REQUIRE(r.has_value());
    CHECK(r->get("kept").value().has_value());
    CHECK(r->get("lost").value() == std::nullopt);
    CHECK(r->pending_batches(10).value().size() == 1);
    CHECK(r->changes_since(0, 10).value().size() == 1);
    // The lock died with the process: writing works at once.
    CHECK(r->enqueue_local_write(std::vector<write_op>{{"next", "2"}}).has_value());
    CHECK(integrity(file) == "ok");
}

TEST_CASE("replica durability: two connections see each other; a held lock is SQLITE_BUSY") {
    temp_dir dir;
    const auto file = dir.path / "shared.db";
    const options quick{.busy_timeout = std::chrono::milliseconds(100)};
    auto a = replica::open(file, quick);
    REQUIRE(a.has_value());
    auto b = replica::open(file, quick);
    REQUIRE(b.has_value());

    REQUIRE(a->enqueue_local_write(std::vector<write_op>{{"k", "from-a"}}).has_value());
    CHECK(b->get("k").value()->value == "from-a");
    REQUIRE(
        b->apply_remote(std::vector<remote_change>{{"r", confirmed_value{"1", "v", "bucket", ""}}})
            .has_value());
    CHECK(a->get("r").value()->version == "v");

    // Another writer holds the write lock: our write waits busy_timeout, then fails clearly
    // and writes nothing; reads go on (WAL readers are not blocked by a writer).
    auto holder = sqlite::database::open(file.string(), false);
    REQUIRE(holder.has_value());
    {
        auto held = sqlite::transaction::begin(*holder, sqlite::transaction::kind::immediate);
        REQUIRE(held.has_value());
        const auto start = steady::now();
        auto blocked = a->enqueue_local_write(std::vector<write_op>{{"k", "blocked"}});
        REQUIRE_FALSE(blocked.has_value());
        CHECK(ms_since(start) >= 90.0);
        CHECK(blocked.err().code == mps3::errc::storage);
        CHECK(blocked.err().message ==
              "enqueue_local_write: begin write transaction failed: database is locked "
              "(SQLITE_BUSY)");
        CHECK(a->get("k").value()->value == "from-a");
        CHECK(a->list("", 10).value().items.size() == 2);
    }
    REQUIRE(a->enqueue_local_write(std::vector<write_op>{{"k", "after"}}).has_value());
    CHECK(b->get("k").value()->value == "after");
}

TEST_CASE("replica durability: a full disk fails the write cleanly and reads keep working") {
    temp_dir dir;
    const auto file = dir.path / "full.db";
    auto r = replica::open(file, {.max_file_bytes = std::uint64_t{256} * 1024});
    REQUIRE(r.has_value());
    REQUIRE(r->apply_remote(
                 std::vector<remote_change>{{"base", confirmed_value{"0", "v0", "bucket", ""}}})
                .has_value());
    REQUIRE(r->enqueue_local_write(std::vector<write_op>{{"small", "1"}}).has_value());
    const auto stats = r->outbox_status().value();
    const auto bounds = r->change_bounds().value();

    // ~300 KiB in one batch: past the limit part-way through the transaction.
    std::vector<write_op> big;
    big.reserve(300);
    for (int i = 0; i < 300; ++i) {
        big.push_back({"big/" + std::to_string(i), "\"" + std::string(1000, 'x') + "\""});
    }
    auto failed = r->enqueue_local_write(big);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.err().code == mps3::errc::storage);
    MESSAGE(failed.err().message);
    CHECK(failed.err().message.find("enqueue_local_write: ") == 0);
    CHECK(failed.err().message.find("(SQLITE_FULL)") != std::string::npos);
    CHECK(failed.err().message.find("full") != std::string::npos);

    // Nothing of the batch: no ops, no batch, no change rows; the earlier state intact.
    auto after = r->outbox_status().value();
    CHECK(after.queued_ops == stats.queued_ops);
    CHECK(after.queued_batches == stats.queued_batches);
    CHECK(r->change_bounds().value().newest == bounds.newest);
    CHECK(r->get("big/0").value() == std::nullopt);
    CHECK(r->get("small").value()->value == "1");
    CHECK(r->list("big/", 10).value().items.empty());

    // The same for a big remote diff.
    std::vector<remote_change> diff;
    diff.reserve(300);
    for (int i = 0; i < 300; ++i) {
        diff.push_back({"remote/" + std::to_string(i),
                        confirmed_value{std::string(1000, 'y'), "v", "bucket", ""}});
    }
    auto remote_failed = r->apply_remote(diff);
    REQUIRE_FALSE(remote_failed.has_value());
    CHECK(remote_failed.err().message.find("(SQLITE_FULL)") != std::string::npos);
    CHECK(r->confirmed_files().value().size() == 1);

    // Small writes still fit; the file is sound.
    CHECK(r->enqueue_local_write(std::vector<write_op>{{"small2", "2"}}).has_value());
    CHECK(integrity(file) == "ok");
}

TEST_CASE("replica durability: 100,000 keys (figures printed, not asserted)") {
    temp_dir dir;
    const auto file = dir.path / "big.db";
    constexpr int n = 100'000;
    {
        auto r = replica::open(file);
        REQUIRE(r.has_value());
        std::vector<remote_change> diff;
        diff.reserve(n);
        for (int i = 0; i < n; ++i) {
            diff.push_back(
                {"user/" + std::to_string(i) + "/profile",
                 confirmed_value{"{\"n\":" + std::to_string(i) + ",\"name\":\"x\"}",
                                 "6f1c0c1e-7d4a-4b55-9a0e-" + std::to_string(i), "bucket", ""}});
        }
        auto start = steady::now();
        auto applied = r->apply_remote(diff);
        REQUIRE(applied.has_value());
        CHECK(applied->size() == static_cast<std::size_t>(n));
        MESSAGE("apply_remote of " << n << " keys in one transaction: " << ms_since(start)
                                   << " ms");

        start = steady::now();
        for (int b = 0; b < 100; ++b) {
            std::vector<write_op> batch;
            batch.reserve(1000);
            for (int i = 0; i < 1000; ++i) {
                batch.push_back({"local/" + std::to_string(b * 1000 + i), "1"});
            }
            REQUIRE(r->enqueue_local_write(batch).has_value());
        }
        MESSAGE("enqueue_local_write of "
                << n << " keys in 100 batches of 1000: " << ms_since(start) << " ms");

        start = steady::now();
        auto page = r->list("user/", 100);
        REQUIRE(page.has_value());
        CHECK(page->items.size() == 100);
        MESSAGE("list first page of 100 (100,000 kv + 100,000 queued): " << ms_since(start)
                                                                         << " ms");
        start = steady::now();
        std::size_t total = 0;
        std::optional<std::string> after;
        for (;;) {
            auto p =
                r->list("", 1000, after ? std::optional<std::string_view>(*after) : std::nullopt);
            REQUIRE(p.has_value());
            total += p->items.size();
            if (!p->next_after) {
                break;
            }
            after = p->next_after;
        }
        CHECK(total == 2 * static_cast<std::size_t>(n));
        MESSAGE("list all 200,000 keys in pages of 1000: " << ms_since(start) << " ms");
    }
    MESSAGE("file size: " << std::filesystem::file_size(file) / 1024 << " KiB");

    const auto start = steady::now();
    auto r = replica::open(file);
    REQUIRE(r.has_value());
    const auto opened = ms_since(start);
    auto first = r->get("user/99999/profile");
    REQUIRE(first.has_value());
    REQUIRE(first->has_value());
    MESSAGE("reopen: " << opened << " ms; first get answered after " << ms_since(start) << " ms");
    const auto status_start = steady::now();
    auto s = r->outbox_status();
    REQUIRE(s.has_value());
    CHECK(s->queued_ops == n);
    MESSAGE("outbox_status with " << n << " queued ops: " << ms_since(status_start) << " ms");
}

TEST_CASE("replica durability: commit cost per acknowledged write, FULL vs NORMAL") {
    temp_dir dir;
    constexpr int writes = 200;
    for (const auto mode : {sync_mode::full, sync_mode::normal}) {
        auto r = replica::open(dir.path / (mode == sync_mode::full ? "full.db" : "normal.db"),
                               {.synchronous = mode});
        REQUIRE(r.has_value());
        const auto start = steady::now();
        for (int i = 0; i < writes; ++i) {
            REQUIRE(r->enqueue_local_write(std::vector<write_op>{{"k" + std::to_string(i), "1"}})
                        .has_value());
        }
        const std::string name = mode == sync_mode::full ? "FULL" : "NORMAL";
        MESSAGE("synchronous=" << name << ": " << ms_since(start) / writes
                               << " ms per single-key enqueue_local_write");
    }
}
