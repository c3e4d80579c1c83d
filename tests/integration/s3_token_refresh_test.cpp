// The S3 client re-reads its credentials when the server says the session token expired, and
// sends the request once more. Neither s3rver nor RGW (without STS) can be made to answer
// ExpiredToken, so a scripted HTTP responder on loopback does: the first answer is the fault,
// the rest are successes. Everything else is real: the client, its transport, the
// credential_source and the credential_process it runs.
#include "async_test.hpp"

#include <mps3/s3/client.hpp>
#include <mps3/s3/credential_source.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace mps3;
using namespace std::chrono_literals;

// Answers every request on 127.0.0.1: the first `refusals` with 400 ExpiredToken, the others
// with 200. Records the access key id each request was signed with.
class token_responder {
  public:
    explicit token_responder(int refusals) : refusals_(refusals) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(listener_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(listener_, 8) == 0);
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~token_responder() {
        stopping_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        thread_.join();
    }
    token_responder(const token_responder&) = delete;
    token_responder& operator=(const token_responder&) = delete;

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] std::vector<std::string> key_ids() const {
        const std::lock_guard lock(mutex_);
        return key_ids_;
    }

  private:
    void serve() {
        while (!stopping_) {
            const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection < 0) {
                return;
            }
            answer_requests(connection);
            ::close(connection);
        }
    }

    // Keep-alive: requests without bodies (GET), one after the other, until the client closes.
    void answer_requests(int connection) {
        std::string buffer;
        char chunk[4096];
        while (true) {
            const auto end = buffer.find("\r\n\r\n");
            if (end == std::string::npos) {
                const ssize_t n = ::read(connection, chunk, sizeof chunk);
                if (n <= 0) {
                    return;
                }
                buffer.append(chunk, static_cast<std::size_t>(n));
                continue;
            }
            const std::string head = buffer.substr(0, end);
            buffer.erase(0, end + 4);
            bool refuse = false;
            {
                const std::lock_guard lock(mutex_);
                const auto at = head.find("Credential=");
                key_ids_.push_back(at == std::string::npos
                                       ? std::string()
                                       : head.substr(at + 11, head.find('/', at) - at - 11));
                refuse = static_cast<int>(key_ids_.size()) <= refusals_;
            }
            const std::string body =
                refuse ? "<?xml version=\"1.0\"?><Error><Code>ExpiredToken</Code><Message>The "
                         "provided token has expired.</Message></Error>"
                       : "{}";
            const std::string response =
                std::string(refuse ? "HTTP/1.1 400 Bad Request\r\n" : "HTTP/1.1 200 OK\r\n") +
                "Content-Type: " + (refuse ? "application/xml" : "application/json") +
                "\r\nETag: \"e\"\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                body;
            if (::write(connection, response.data(), response.size()) !=
                static_cast<ssize_t>(response.size())) {
                return;
            }
        }
    }

    int refusals_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::vector<std::string> key_ids_;
    std::thread thread_;
};

// A credential_process printing AKID1, AKID2... with a session token, in a private directory.
struct counting_credentials {
    std::filesystem::path dir;
    std::shared_ptr<s3::credential_source> source;

    counting_credentials() {
        dir = std::filesystem::temp_directory_path() /
              ("mps3-token-" + std::to_string(::getpid()) + "-" +
               std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        std::filesystem::create_directories(dir);
        const auto script = dir / "creds.sh";
        std::ofstream(script) << "#!/bin/sh\nn=$(cat '" << (dir / "runs").string()
                              << "' 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > '"
                              << (dir / "runs").string()
                              << "'\nprintf '{\"Version\":1,\"AccessKeyId\":\"AKID%s\","
                                 "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t%s\"}' $n $n\n";
        std::filesystem::permissions(script, std::filesystem::perms::owner_all);
        std::ofstream(dir / "config")
            << "[default]\ncredential_process = " << script.string() << "\n";
        s3::credential_source::options o;
        o.env = {{"AWS_CONFIG_FILE", (dir / "config").string()},
                 {"AWS_SHARED_CREDENTIALS_FILE", (dir / "none").string()}};
        o.file_check_interval = 1h;  // only the refusal may cause a re-read here
        auto loaded = s3::credential_source::load(std::move(o));
        REQUIRE(loaded);
        source = *loaded;
    }
    ~counting_credentials() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

s3::client_config config_for(const token_responder& server, const counting_credentials& creds) {
    s3::client_config config;
    auto endpoint = s3::endpoint::parse(server.url());
    REQUIRE(endpoint);
    config.server = *endpoint;
    config.credentials = *creds.source->current();
    config.credential_source = creds.source;
    return config;
}

// One GET of bucket-a/k through a real client (an optional: run_async's value must be
// default-constructible).
result<s3::get_result> get_once(const s3::client_config& config) {
    auto got = test::run_async(
        [&](auto ex) -> asio::awaitable<std::optional<result<s3::get_result>>> {
            s3::client client(ex, config);
            auto answer = co_await client.async_get_object("bucket-a", "k");
            co_return answer;
        },
        60s);
    return std::move(*got);
}

}  // namespace

TEST_CASE("s3 client: an ExpiredToken answer re-reads the credentials and retries once") {
    const token_responder server(1);
    const counting_credentials creds;
    const auto config = config_for(server, creds);
    const auto got = get_once(config);
    REQUIRE_MESSAGE(got, got.err().describe());
    CHECK(got->body == "{}");
    CHECK(server.key_ids() == std::vector<std::string>{"AKID1", "AKID2"});
    CHECK(creds.source->reloads() == 1);
}

TEST_CASE("s3 client: a token still refused after the re-read fails the request") {
    const token_responder server(100);
    const counting_credentials creds;
    const auto config = config_for(server, creds);
    const auto got = get_once(config);
    REQUIRE_FALSE(got);
    CHECK(got.err().s3_code == "ExpiredToken");
    CHECK(server.key_ids().size() == 2);  // one re-read, one more try: no loop
}
