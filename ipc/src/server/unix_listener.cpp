#include <mps3/ipc/unix_listener.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace mps3::ipc {
namespace {

namespace fs = std::filesystem;
using stream = boost::asio::local::stream_protocol;

error failure(const fs::path& path, const std::string& what, int err) {
    return error(errc::invalid_argument, what + " " + path.string() + ": " + std::strerror(err));
}

// True when something accepts connections at `path` (a live daemon).
bool someone_listens(const fs::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const auto text = path.string();
    std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
    const bool connected =
        ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;  // NOLINT
    ::close(fd);
    return connected;
}

status prepare_directory(const fs::path& dir, const listen_options& options) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            return failure(dir, "cannot inspect the socket directory", errno);
        }
        std::error_code ec;
        fs::create_directories(dir.parent_path(), ec);
        if (::mkdir(dir.c_str(), options.directory_mode) != 0 && errno != EEXIST) {
            return failure(dir, "cannot create the socket directory", errno);
        }
        // mkdir's mode is filtered by the umask; the directory must be exactly as private as
        // asked, whatever the umask.
        if (::chmod(dir.c_str(), options.directory_mode) != 0) {
            return failure(dir, "cannot set the mode of the socket directory", errno);
        }
        return success{};
    }
    if (!S_ISDIR(st.st_mode)) {
        return error(errc::invalid_argument,
                     "the socket's directory " + dir.string() + " is not a directory");
    }
    // A directory another user owns, or may write to without the sticky bit, would let them
    // replace the socket under the clients' feet.
    const bool trusted_owner = st.st_uid == ::geteuid() || st.st_uid == 0;
    const bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    if (!trusted_owner || (others_write && (st.st_mode & S_ISVTX) == 0)) {
        return error(errc::invalid_argument,
                     "the socket's directory " + dir.string() +
                         " belongs to another user or is writable by others; choose another "
                         "--socket path");
    }
    return success{};
}

status replace_stale_socket(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return errno == ENOENT ? status(success{})
                               : status(failure(path, "cannot inspect the socket path", errno));
    }
    if (!S_ISSOCK(st.st_mode)) {
        return error(errc::invalid_argument,
                     "the socket path " + path.string() +
                         " exists and is not a socket; refusing to replace it");
    }
    if (someone_listens(path)) {
        return error(errc::invalid_argument,
                     "another process (mps3d?) is already listening on " + path.string());
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return failure(path, "cannot remove the stale socket", errno);
    }
    return success{};
}

}  // namespace

result<unix_acceptor> listen_unix(boost::asio::any_io_executor executor, const fs::path& path,
                                  const listen_options& options) {
    if (path.empty() || path.string().size() >= sizeof(sockaddr_un{}.sun_path)) {
        return error(errc::invalid_argument,
                     "the socket path '" + path.string() + "' is empty or longer than " +
                         std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
    }
    if (auto dir = prepare_directory(
            path.parent_path().empty() ? fs::path(".") : path.parent_path(), options);
        !dir) {
        return std::move(dir).err();
    }
    if (auto stale = replace_stale_socket(path); !stale) {
        return std::move(stale).err();
    }
    unix_acceptor acceptor(executor);
    boost::system::error_code ec;
    acceptor.open(stream(), ec);
    if (!ec) {
        // The socket file is created with the umask's mode; a narrow umask for bind() means it
        // is never reachable with a wider mode, not even between bind() and chmod().
        const mode_t previous = ::umask(0777 & ~options.socket_mode);
        acceptor.bind(stream::endpoint(path.string()), ec);
        ::umask(previous);
    }
    if (!ec && ::chmod(path.c_str(), options.socket_mode) != 0) {
        ec.assign(errno, boost::system::system_category());
    }
    if (!ec) {
        acceptor.listen(SOMAXCONN, ec);
    }
    if (ec) {
        return error(errc::invalid_argument,
                     "cannot listen on " + path.string() + ": " + ec.message());
    }
    return acceptor;
}

result<unix_acceptor> adopt_listener(boost::asio::any_io_executor executor, int fd) {
    unix_acceptor acceptor(executor);
    boost::system::error_code ec;
    acceptor.assign(stream(), fd, ec);
    if (ec) {
        return error(errc::invalid_argument,
                     "cannot use the socket passed by systemd: " + ec.message());
    }
    return acceptor;
}

}  // namespace mps3::ipc
