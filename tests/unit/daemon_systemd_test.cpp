// sd_notify and socket activation against the real libsystemd: a datagram socket stands in for
// the service manager's NOTIFY_SOCKET, and real sockets dup'ed to fd 3 for what a .socket unit
// passes. Every case restores the environment and the fds it borrowed.
#include <doctest/doctest.h>

#include "systemd_integration.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

using namespace mps3;
using namespace mps3::daemon;

namespace {

// Sets (or unsets) environment variables and puts the previous values back.
class env_guard {
  public:
    env_guard(std::initializer_list<const char*> names) {
        for (const char* name : names) {
            const char* value = std::getenv(name);
            saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
        }
    }
    ~env_guard() {
        for (const auto& [name, value] : saved_) {
            if (value) {
                ::setenv(name.c_str(), value->c_str(), 1);
            } else {
                ::unsetenv(name.c_str());
            }
        }
    }
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;

  private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// Keeps what a low fd number held (doctest or the test runner may have something there) aside
// and restores it, or closes the number again if it was free.
class fd_slot_guard {
  public:
    explicit fd_slot_guard(int slot) : slot_(slot) {
        if (::fcntl(slot, F_GETFD) != -1) {
            saved_ = ::fcntl(slot, F_DUPFD_CLOEXEC, 100);
            REQUIRE(saved_ >= 0);
        }
    }
    ~fd_slot_guard() {
        if (saved_ >= 0) {
            ::dup2(saved_, slot_);
            ::close(saved_);
        } else {
            ::close(slot_);
        }
    }
    fd_slot_guard(const fd_slot_guard&) = delete;
    fd_slot_guard& operator=(const fd_slot_guard&) = delete;

    /// Moves `fd` to the slot (when the slot was free, `fd` may already be it).
    void place(int fd) const {
        REQUIRE(fd >= 0);
        if (fd != slot_) {
            REQUIRE(::dup2(fd, slot_) == slot_);
            ::close(fd);
        }
    }

  private:
    int slot_;
    int saved_ = -1;
};

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "mps3-sd-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

sockaddr_un unix_address(const std::filesystem::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string text = path.string();
    REQUIRE(text.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
    return addr;
}

int bound_unix_socket(int type, const std::filesystem::path& path) {
    const int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const sockaddr_un addr = unix_address(path);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    return fd;
}

// The service manager's side of NOTIFY_SOCKET: a datagram socket in a temporary directory.
struct fake_manager {
    temp_dir dir;
    int fd = bound_unix_socket(SOCK_DGRAM, dir.path / "notify");
    fake_manager() = default;
    ~fake_manager() { ::close(fd); }
    fake_manager(const fake_manager&) = delete;
    fake_manager& operator=(const fake_manager&) = delete;

    [[nodiscard]] std::string socket_path() const { return (dir.path / "notify").string(); }

    // sd_notify has sent the datagram by the time it returns; the poll bound is only a safety net.
    std::string receive() const {
        pollfd p{fd, POLLIN, 0};
        REQUIRE(::poll(&p, 1, 5000) == 1);
        char buffer[4096];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        REQUIRE(n >= 0);
        return {buffer, static_cast<std::size_t>(n)};
    }

    [[nodiscard]] bool nothing_received() const {
        char buffer[16];
        return ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) == -1 &&
               (errno == EAGAIN || errno == EWOULDBLOCK);
    }
};

void pretend_activated(int count) {
    REQUIRE(::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1) == 0);
    REQUIRE(::setenv("LISTEN_FDS", std::to_string(count).c_str(), 1) == 0);
    ::unsetenv("LISTEN_FDNAMES");
}

int listening_unix_socket(const std::filesystem::path& path) {
    const int fd = bound_unix_socket(SOCK_STREAM, path);
    REQUIRE(::listen(fd, 16) == 0);
    return fd;
}

int listening_tcp_socket() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    return fd;
}

}  // namespace

TEST_CASE("systemd: notify_ready sends READY=1 and the status to NOTIFY_SOCKET") {
    const env_guard env({"NOTIFY_SOCKET"});
    const fake_manager manager;
    REQUIRE(::setenv("NOTIFY_SOCKET", manager.socket_path().c_str(), 1) == 0);

    notify_ready("serving 2 stores");
    CHECK(manager.receive() == "READY=1\nSTATUS=serving 2 stores");

    notify_status("3 writes queued");
    CHECK(manager.receive() == "STATUS=3 writes queued");

    notify_stopping("flushing 3 writes");
    CHECK(manager.receive() == "STOPPING=1\nSTATUS=flushing 3 writes");

    notify_watchdog();
    CHECK(manager.receive() == "WATCHDOG=1");
    CHECK(manager.nothing_received());
}

TEST_CASE("systemd: a newline in the status cannot add an assignment") {
    const env_guard env({"NOTIFY_SOCKET"});
    const fake_manager manager;
    REQUIRE(::setenv("NOTIFY_SOCKET", manager.socket_path().c_str(), 1) == 0);

    notify_status("offline\nREADY=1\r\tMAINPID=1");
    CHECK(manager.receive() == "STATUS=offline READY=1  MAINPID=1");

    notify_ready(std::string("cut\0here", 8));
    CHECK(manager.receive() == "READY=1\nSTATUS=cut here");

    CHECK(sanitize_status("caf\xC3\xA9 ok") == "caf\xC3\xA9 ok");  // UTF-8 is kept
    CHECK(sanitize_status("a\x7F"
                          "b") == "a b");
}

TEST_CASE("systemd: without NOTIFY_SOCKET notifications are no-ops") {
    const env_guard env({"NOTIFY_SOCKET"});
    const fake_manager manager;  // exists, but nobody is told about it
    ::unsetenv("NOTIFY_SOCKET");

    notify_ready("serving");
    notify_status("still serving");
    notify_stopping("bye");
    notify_watchdog();
    CHECK(manager.nothing_received());
}

TEST_CASE("systemd: not socket activated: no socket to adopt") {
    const env_guard env({"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"});
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    auto adopted = adopt_activated_socket();
    REQUIRE(adopted.has_value());
    CHECK_FALSE(adopted->has_value());

    SUBCASE("LISTEN_FDS meant for another process is ignored") {
        REQUIRE(::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1) == 0);
        REQUIRE(::setenv("LISTEN_FDS", "1", 1) == 0);
        auto other = adopt_activated_socket();
        REQUIRE(other.has_value());
        CHECK_FALSE(other->has_value());
    }
}

TEST_CASE("systemd: a listening Unix stream socket at fd 3 is adopted") {
    const env_guard env({"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"});
    const fd_slot_guard slot(SD_LISTEN_FDS_START);
    const temp_dir dir;
    slot.place(listening_unix_socket(dir.path / "mps3d.sock"));
    pretend_activated(1);

    auto adopted = adopt_activated_socket();
    if (!adopted) {
        FAIL(adopted.err().message);
    }
    REQUIRE(adopted->has_value());
    CHECK(**adopted == SD_LISTEN_FDS_START);
    CHECK((::fcntl(**adopted, F_GETFD) & FD_CLOEXEC) != 0);  // not leaked to child processes
    CHECK(std::getenv("LISTEN_FDS") == nullptr);             // nor the variables

    // It is the socket we bound: a client can connect to the path.
    const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(client >= 0);
    const sockaddr_un addr = unix_address(dir.path / "mps3d.sock");
    CHECK(::connect(client, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    ::close(client);
}

TEST_CASE("systemd: a socket of the wrong kind at fd 3 is refused clearly") {
    const env_guard env({"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"});
    const fd_slot_guard slot(SD_LISTEN_FDS_START);
    const temp_dir dir;

    SUBCASE("TCP") {
        slot.place(listening_tcp_socket());
    }
    SUBCASE("a Unix stream socket that does not listen") {
        slot.place(bound_unix_socket(SOCK_STREAM, dir.path / "idle.sock"));
    }
    SUBCASE("a Unix datagram socket") {
        slot.place(bound_unix_socket(SOCK_DGRAM, dir.path / "dgram.sock"));
    }
    pretend_activated(1);

    auto adopted = adopt_activated_socket();
    REQUIRE_FALSE(adopted.has_value());
    CHECK(adopted.err().code == make_error_code(errc::invalid_argument));
    CHECK(adopted.err().message.find("not a listening Unix stream socket") != std::string::npos);
    CHECK(adopted.err().message.find("ListenStream=") != std::string::npos);
}

TEST_CASE("systemd: more than one passed socket is refused") {
    const env_guard env({"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"});
    const fd_slot_guard first(SD_LISTEN_FDS_START);
    const fd_slot_guard second(SD_LISTEN_FDS_START + 1);
    const temp_dir dir;
    first.place(listening_unix_socket(dir.path / "a.sock"));
    second.place(listening_unix_socket(dir.path / "b.sock"));
    pretend_activated(2);

    auto adopted = adopt_activated_socket();
    REQUIRE_FALSE(adopted.has_value());
    CHECK(adopted.err().code == make_error_code(errc::invalid_argument));
    CHECK(adopted.err().message.find("passed 2 sockets") != std::string::npos);
}
