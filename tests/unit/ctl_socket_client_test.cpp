// mps3ctl's blocking socket client, and the whole program (run_mps3ctl), against a scripted peer
// on a real Unix socket in a temporary directory. The peer is a thread of the test (the client
// itself has none): it accepts one connection, reads request lines and writes canned lines.
#include "ctl/app.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/socket_client.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace mps3;
using namespace mps3::ctl;
using namespace std::chrono_literals;

namespace {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mps3-ctl-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

sockaddr_un address_of(const std::filesystem::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.native().size() < sizeof address.sun_path);
    std::memcpy(address.sun_path, path.c_str(), path.native().size());
    return address;
}

/// A socket bound at path; listening unless `listen_too` is false (then connecting is refused).
int bound_socket(const std::filesystem::path& path, bool listen_too) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const auto address = address_of(path);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    if (listen_too) {
        REQUIRE(::listen(fd, 4) == 0);
    }
    return fd;
}

/// What the peer does, in order.
struct act {
    enum kind { read_line, send, close_now, wait_for_close } what;
    std::string text;  // send: the bytes
};

act read_line() {
    return {act::read_line, {}};
}
act send(std::string text) {
    return {act::send, std::move(text)};
}
act close_now() {
    return {act::close_now, {}};
}
act wait_for_close() {
    return {act::wait_for_close, {}};
}

/// Plays a script on the one connection it accepts. Every wait is bounded (10 s), so a test
/// that goes wrong fails instead of hanging; problems are recorded for the test thread to check.
class scripted_peer {
  public:
    explicit scripted_peer(std::vector<act> script)
        : path_(dir_.path / "mps3d.sock"), listen_fd_(bound_socket(path_, true)) {
        thread_ = std::thread([this, s = std::move(script)] { play(s); });
    }
    ~scripted_peer() {
        join();
        ::close(listen_fd_);
    }
    scripted_peer(const scripted_peer&) = delete;
    scripted_peer& operator=(const scripted_peer&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

    /// Waits for the script to end; then the lines read and any problem can be checked.
    void join() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    const std::vector<std::string>& lines() {
        join();
        return lines_;
    }
    const std::string& problem() {
        join();
        return problem_;
    }

  private:
    bool wait_readable(int fd) {
        pollfd p{fd, POLLIN, 0};
        for (;;) {
            const int n = ::poll(&p, 1, 10'000);
            if (n > 0) {
                return true;
            }
            if (n == 0 || errno != EINTR) {
                problem_ = "the peer waited 10 s in vain";
                return false;
            }
        }
    }

    void play(const std::vector<act>& script) {
        if (!wait_readable(listen_fd_)) {
            return;
        }
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            problem_ = "accept failed";
            return;
        }
        std::string buffer;
        bool open = true;
        for (const auto& step : script) {
            if (step.what == act::read_line) {
                std::size_t end = 0;
                while ((end = buffer.find('\n')) == std::string::npos) {
                    char chunk[4096];
                    if (!wait_readable(fd)) {
                        break;
                    }
                    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
                    if (n <= 0) {
                        problem_ = "the client closed before sending a line";
                        break;
                    }
                    buffer.append(chunk, static_cast<std::size_t>(n));
                }
                if (end == std::string::npos) {
                    break;
                }
                lines_.push_back(buffer.substr(0, end));
                buffer.erase(0, end + 1);
            } else if (step.what == act::send) {
                std::string_view left = step.text;
                while (!left.empty()) {
                    const ssize_t n = ::send(fd, left.data(), left.size(), MSG_NOSIGNAL);
                    if (n < 0) {
                        problem_ = std::string("send failed: ") + std::strerror(errno);
                        break;
                    }
                    left.remove_prefix(static_cast<std::size_t>(n));
                }
            } else if (step.what == act::close_now) {
                ::close(fd);
                open = false;
                break;
            } else {
                // Until the client hangs up (it gave up, or it is done).
                char chunk[4096];
                while (wait_readable(fd) && ::recv(fd, chunk, sizeof chunk, 0) > 0) {
                }
            }
        }
        if (open) {
            ::close(fd);
        }
    }

    temp_dir dir_;
    std::filesystem::path path_;
    int listen_fd_;
    std::thread thread_;
    std::vector<std::string> lines_;
    std::string problem_;
};

struct ran {
    int code;
    std::string out, err;
};

/// The whole program, as `mps3ctl --socket PATH args...`.
ran mps3ctl(const std::filesystem::path& socket, std::vector<std::string> args,
            const std::string& input = "") {
    args.insert(args.begin(), {"--socket", socket.string()});
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    const app_context context{.in = in, .out = out, .err = err, .env = {}, .uid = 1000};
    const int code = run_mps3ctl(args, context);
    return {code, out.str(), err.str()};
}

socket_client connected(const std::filesystem::path& path) {
    auto client = socket_client::connect(path);
    INFO((client ? std::string() : client.err().message));
    REQUIRE(client.has_value());
    return std::move(*client);
}

socket_client::deadline in(std::chrono::milliseconds ms) {
    return socket_client::clock::now() + ms;
}

const char* const changed_line =
    R"({"jsonrpc":"2.0","method":"changed","params":{"subscription":1,"key":"k","value":1,"seq":5}})"
    "\n";

}  // namespace

TEST_CASE("ctl socket client: the answer is matched by id; notifications before it are kept") {
    scripted_peer peer({read_line(),
                        send(std::string(changed_line) +
                             // a late answer to some other request: dropped
                             R"({"jsonrpc":"2.0","id":99,"result":{"found":false}})"
                             "\n"
                             R"({"jsonrpc":"2.0","id":1,"result":{"found":true,"value":"v"}})"
                             "\n"),
                        wait_for_close()});
    {
        auto client = connected(peer.path());
        auto response = client.call("get", R"({"key":"k"})", in(5s));
        REQUIRE(response.has_value());
        CHECK(response->id == ipc::rpc_id::from_int(1));
        CHECK(response->method == "get");
        REQUIRE(response->ok());
        CHECK(std::string(response->result["value"].GetString()) == "v");

        auto next = client.receive(in(5s));
        REQUIRE(next.has_value());
        const auto* notification = std::get_if<ipc::rpc_notification>(&*next);
        REQUIRE(notification != nullptr);
        CHECK(notification->method == "changed");
        CHECK(notification->params["seq"].GetInt() == 5);
    }
    CHECK(peer.problem().empty());
    REQUIRE(peer.lines().size() == 1);
    CHECK(peer.lines()[0] == R"({"jsonrpc":"2.0","id":1,"method":"get","params":{"key":"k"}})");
}

TEST_CASE("ctl socket client: nothing listening: exit 4, naming the path") {
    temp_dir dir;
    const auto missing = dir.path / "none.sock";
    auto no_file = socket_client::connect(missing);
    REQUIRE_FALSE(no_file.has_value());
    CHECK(no_file.err().code == errc::network);
    CHECK(no_file.err().message == "cannot connect to mps3d at " + missing.string() +
                                       ": No such file or directory (is mps3d running?)");

    // A socket file nobody listens on any more (a daemon that died): refused.
    const auto stale = dir.path / "stale.sock";
    ::close(bound_socket(stale, false));
    auto r = mps3ctl(stale, {"get", "k"});
    CHECK(r.code == exit_unreachable);
    CHECK(r.out.empty());
    CHECK(r.err == "mps3ctl: cannot connect to mps3d at " + stale.string() +
                       ": Connection refused (is mps3d running?)\n");

    auto not_socket = socket_client::connect(std::string(200, 'x'));
    REQUIRE_FALSE(not_socket.has_value());
    CHECK(not_socket.err().message.find("longer than 107 bytes") != std::string::npos);
}

TEST_CASE("ctl socket client: the peer closes in the middle of an answer") {
    scripted_peer peer(
        {read_line(), send(R"({"jsonrpc":"2.0","id":1,"result":{"fou)"), close_now()});
    auto client = connected(peer.path());
    auto response = client.call("get", R"({"key":"k"})", in(5s));
    REQUIRE_FALSE(response.has_value());
    CHECK(response.err().code == errc::network);
    CHECK(response.err().message ==
          "mps3d closed the connection in the middle of a message "
          "(socket " +
              peer.path().string() + ")");
    // And stays closed.
    CHECK(client.receive(in(1s)).err().code == errc::network);
}

TEST_CASE("ctl socket client: the peer closes without answering: exit 4") {
    scripted_peer peer({read_line(), close_now()});
    auto r = mps3ctl(peer.path(), {"status"});
    CHECK(r.code == exit_unreachable);
    CHECK(r.err == "mps3ctl: mps3d closed the connection before answering (socket " +
                       peer.path().string() + ")\n");
}

TEST_CASE("ctl socket client: no answer before the deadline") {
    scripted_peer peer({read_line(), read_line(), wait_for_close()});
    {
        auto client = connected(peer.path());
        const auto started = socket_client::clock::now();
        auto response = client.call("get", R"({"key":"k"})", in(150ms));
        REQUIRE_FALSE(response.has_value());
        CHECK(response.err().code == errc::timeout);
        CHECK(socket_client::clock::now() - started >= 150ms);
        // The client stays usable; the request given up on is no longer awaited.
        auto again = client.send("status", "{}", in(1s));
        CHECK(again.has_value());
    }
    CHECK(peer.problem().empty());
    CHECK(peer.lines().size() == 2);
}

TEST_CASE("ctl socket client: mps3ctl --timeout: exit 4 and what it waited for") {
    scripted_peer peer({read_line(), wait_for_close()});
    auto r = mps3ctl(peer.path(), {"--timeout", "0.2", "get", "k"});
    CHECK(r.code == exit_unreachable);
    CHECK(r.err == "mps3ctl: no answer from mps3d to 'get' within 0.2 s (see --timeout)\n");
}

TEST_CASE("ctl socket client: an error with a null id answers the one pending request") {
    scripted_peer peer(
        {read_line(),
         send(
             R"({"jsonrpc":"2.0","id":null,"error":{"code":-32008,"message":"Forbidden: uid 1234 may not use this daemon"}})"
             "\n"),
         close_now()});
    auto r = mps3ctl(peer.path(), {"get", "k"});
    CHECK(r.code == exit_daemon_error);
    CHECK(r.err == "mps3ctl: Forbidden: uid 1234 may not use this daemon (code -32008)\n");
}

TEST_CASE("ctl socket client: garbage from the peer is exit 4") {
    scripted_peer peer({read_line(), send("HTTP/1.1 400 Bad Request\r\n"), wait_for_close()});
    auto r = mps3ctl(peer.path(), {"get", "k"});
    CHECK(r.code == exit_unreachable);
    CHECK(r.err.find("mps3ctl: mps3d sent something mps3ctl cannot read: ") == 0);
}

TEST_CASE("ctl socket client: the interrupt descriptor ends a wait") {
    scripted_peer peer({wait_for_close()});
    {
        auto client = connected(peer.path());
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        client.set_interrupt_fd(fds[0]);
        REQUIRE(::write(fds[1], "x", 1) == 1);
        auto next = client.receive(std::nullopt);  // would wait for ever
        REQUIRE_FALSE(next.has_value());
        CHECK(next.err().code == errc::cancelled);
        ::close(fds[0]);
        ::close(fds[1]);
    }
    CHECK(peer.problem().empty());
}

TEST_CASE("ctl run: get, a large value in many chunks, and a daemon error") {
    const std::string big(3 << 20, 'b');
    scripted_peer peer(
        {read_line(),
         send(R"({"jsonrpc":"2.0","id":1,"result":{"found":true,"value":")" + big + "\"}}\n"),
         wait_for_close()});
    auto r = mps3ctl(peer.path(), {"get", "big"});
    CHECK(r.code == exit_ok);
    CHECK(r.out == "\"" + big + "\"\n");
    CHECK(r.err.empty());

    scripted_peer refusing(
        {read_line(),
         send(
             R"({"jsonrpc":"2.0","id":1,"error":{"code":-32004,"message":"Timeout: the store is offline"}})"
             "\n"),
         wait_for_close()});
    auto timeout = mps3ctl(refusing.path(), {"flush", "--timeout", "1"});
    CHECK(timeout.code == exit_daemon_timeout);
    CHECK(timeout.err == "mps3ctl: Timeout: the store is offline (code -32004)\n");
    REQUIRE(refusing.lines().size() == 1);
    CHECK(refusing.lines()[0] ==
          R"({"jsonrpc":"2.0","id":1,"method":"flush","params":{"timeoutMs":1000}})");
}

TEST_CASE("ctl run: usage errors exit 2 before any connection; put KEY - reads the input") {
    temp_dir dir;
    auto bad_value = mps3ctl(dir.path / "none.sock", {"put", "greeting", "hi"});
    CHECK(bad_value.code == exit_usage);
    CHECK(bad_value.err.find("mps3ctl: the value for \"greeting\" is not JSON") == 0);
    CHECK(mps3ctl(dir.path / "none.sock", {"put-all", "k"}).code == exit_usage);
    CHECK(mps3ctl(dir.path / "none.sock", {"frobnicate"}).code == exit_usage);

    scripted_peer peer({read_line(),
                        send(R"({"jsonrpc":"2.0","id":1,"result":{"seq":3}})"
                             "\n"),
                        wait_for_close()});
    auto r = mps3ctl(peer.path(), {"put", "doc", "-"}, "{\"a\": [1, 2]}\n");
    CHECK(r.code == exit_ok);
    CHECK(r.out == "{\"seq\":3}\n");
    REQUIRE(peer.lines().size() == 1);
    CHECK(peer.lines()[0] ==
          R"({"jsonrpc":"2.0","id":1,"method":"put","params":{"key":"doc","value":{"a":[1,2]}}})");
}

TEST_CASE("ctl run: list follows the cursor over the socket") {
    scripted_peer peer(
        {read_line(),
         send(
             R"({"jsonrpc":"2.0","id":1,"result":{"entries":[{"key":"a","value":1}],"cursor":"a"}})"
             "\n"),
         read_line(),
         send(R"({"jsonrpc":"2.0","id":2,"result":{"entries":[{"key":"b","value":2}]}})"
              "\n"),
         wait_for_close()});
    auto r = mps3ctl(peer.path(), {"list"});
    CHECK(r.code == exit_ok);
    CHECK(r.out == "{\"key\":\"a\",\"value\":1}\n{\"key\":\"b\",\"value\":2}\n");
    REQUIRE(peer.lines().size() == 2);
    CHECK(peer.lines()[1] ==
          R"({"jsonrpc":"2.0","id":2,"method":"list","params":{"limit":100,"cursor":"a"}})");
}

TEST_CASE("ctl run: watch resubscribes after lagged and loses nothing") {
    const std::string note = R"({"jsonrpc":"2.0","method":)";
    scripted_peer peer(
        {read_line(),
         send(R"({"jsonrpc":"2.0","id":1,"result":{"subscription":1,"seq":10}})"
              "\n" +
              note +
              R"("changed","params":{"subscription":1,"key":"p/a","value":1,"seq":11}})"
              "\n" +
              note +
              R"("lagged","params":{"subscription":1,"lastSeq":11}})"
              "\n"),
         read_line(),
         send(note +
              R"("changed","params":{"subscription":2,"key":"p/a","value":1,"seq":11}})"
              "\n" +
              note +
              R"("changed","params":{"subscription":2,"key":"p/b","deleted":true,"seq":12}})"
              "\n"
              R"({"jsonrpc":"2.0","id":2,"result":{"subscription":2,"seq":12}})"
              "\n" +
              note +
              R"("changed","params":{"subscription":2,"key":"p/c","value":3,"seq":13}})"
              "\n"),
         wait_for_close()});
    auto r = mps3ctl(peer.path(), {"watch", "--prefix", "p/", "--count", "3"});
    CHECK(r.code == exit_ok);
    CHECK(r.out ==
          "{\"key\":\"p/a\",\"value\":1,\"seq\":11}\n"
          "{\"key\":\"p/b\",\"deleted\":true,\"seq\":12}\n"
          "{\"key\":\"p/c\",\"value\":3,\"seq\":13}\n");
    CHECK(r.err ==
          "mps3ctl: fell behind: mps3d dropped notifications after seq 11; "
          "resubscribing from there\n");
    CHECK(peer.problem().empty());
    REQUIRE(peer.lines().size() == 2);
    CHECK(peer.lines()[0] ==
          R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"prefix":"p/"}})");
    CHECK(peer.lines()[1] ==
          R"({"jsonrpc":"2.0","id":2,"method":"subscribe","params":{"prefix":"p/","since":11}})");
}

TEST_CASE("ctl run: a watch whose daemon goes away exits 4") {
    scripted_peer peer({read_line(),
                        send(R"({"jsonrpc":"2.0","id":1,"result":{"subscription":1,"seq":0}})"
                             "\n"),
                        close_now()});
    auto r = mps3ctl(peer.path(), {"watch", "k"});
    CHECK(r.code == exit_unreachable);
    CHECK(r.err.find("mps3ctl: mps3d closed the connection") == 0);
}
