#include "runner.hpp"

#include "exit_codes.hpp"

#include <optional>
#include <string>

namespace mps3::ctl {
namespace {

std::string seconds_text(std::chrono::milliseconds wait) {
    const auto ms = wait.count();
    std::string text = std::to_string(ms / 1000);
    if (ms % 1000 != 0) {
        std::string fraction = std::to_string(1000 + ms % 1000).substr(1);
        fraction.erase(fraction.find_last_not_of('0') + 1);
        text += "." + fraction;
    }
    return text + " s";
}

class driver {
  public:
    driver(conversation& talk, socket_client& client, std::ostream& out, std::ostream& err)
        : talk_(talk), client_(client), out_(out), err_(err) {}

    int run() {
        if (auto failed = send(talk_.start())) {
            return *failed;
        }
        for (;;) {
            auto in = client_.receive(pending_ ? std::optional(until_) : std::nullopt);
            if (!in) {
                return failure(in.err());
            }
            step s;
            if (auto* response = std::get_if<ipc::rpc_response>(&*in)) {
                if (!pending_ || response->id != *pending_) {
                    continue;  // not the answer being waited for
                }
                pending_.reset();
                s = talk_.on_response(*response);
            } else {
                s = talk_.on_notification(std::get<ipc::rpc_notification>(*in));
            }
            if (auto done = apply(std::move(s))) {
                return *done;
            }
        }
    }

  private:
    /// Prints a step's text; the exit code when it ends the command (or a request fails).
    std::optional<int> apply(step s) {
        if (!s.out.empty()) {
            out_ << s.out << std::flush;
        }
        if (!s.err.empty()) {
            err_ << s.err << std::flush;
        }
        if (s.exit_code) {
            return s.exit_code;
        }
        if (s.next) {
            return send(*s.next);
        }
        return std::nullopt;
    }

    std::optional<int> send(const request& req) {
        until_ = socket_client::clock::now() + req.wait;
        method_ = req.method;
        wait_ = req.wait;
        auto id = client_.send(req.method, req.params_json, until_);
        if (!id) {
            return failure(id.err());
        }
        pending_ = std::move(*id);
        return std::nullopt;
    }

    int failure(const error& e) {
        if (e.code == errc::cancelled) {
            step s = talk_.on_interrupt();
            out_ << s.out << std::flush;
            err_ << s.err << std::flush;
            return s.exit_code.value_or(130);
        }
        if (e.code == errc::timeout) {
            err_ << "mps3ctl: no answer from mps3d to '" << method_ << "' within "
                 << seconds_text(wait_) << " (see --timeout)\n";
        } else {
            err_ << "mps3ctl: " << e.message << '\n';
        }
        return exit_unreachable;
    }

    conversation& talk_;
    socket_client& client_;
    std::ostream& out_;
    std::ostream& err_;
    std::optional<ipc::rpc_id> pending_;
    socket_client::clock::time_point until_{};
    std::string method_;
    std::chrono::milliseconds wait_{0};
};

}  // namespace

int run_conversation(conversation& talk, socket_client& client, std::ostream& out,
                     std::ostream& err) {
    return driver(talk, client, out, err).run();
}

}  // namespace mps3::ctl
