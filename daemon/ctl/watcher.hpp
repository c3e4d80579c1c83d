// `mps3ctl watch`: subscribes to a key or a prefix and prints every `changed` notification as one
// JSON line, until --count changes or an interruption. When mps3d reports `lagged` (mps3ctl did
// not read fast enough and notifications were dropped), it resubscribes with `since` set to the
// last change printed, so no change is lost and none is printed twice (changes are told apart by
// their seq).
#pragma once

#include "conversation.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace mps3::ctl {

class watcher : public conversation {
  public:
    struct options {
        std::optional<std::string> key;  // exactly one of key and prefix
        std::optional<std::string> prefix;
        std::optional<std::uint64_t> since;  // print the changes after this seq first
        std::optional<std::uint64_t> count;  // stop after this many changes
        std::optional<std::string> store;
        std::chrono::milliseconds wait{30'000};  // for each subscribe answer
    };

    explicit watcher(options opts);

    request start() override;
    step on_response(const ipc::rpc_response& response) override;
    step on_notification(const ipc::rpc_notification& notification) override;
    /// Ctrl-C or SIGTERM is how a watch without --count normally ends: exit 0.
    step on_interrupt() override;

    /// Every change up to this seq has been printed (or predates the watch).
    [[nodiscard]] std::optional<std::uint64_t> seen() const { return seen_; }
    [[nodiscard]] std::uint64_t printed() const { return printed_; }

  private:
    request subscribe_request(std::optional<std::uint64_t> since);
    step on_changed(const rapidjson::Value& params);
    step on_lagged(const rapidjson::Value& params);

    options opts_;
    std::optional<std::uint64_t> seen_;
    std::optional<std::uint64_t> subscription_;  // the current subscription, once answered
    bool subscribing_ = false;                   // a subscribe request awaits its answer
    bool first_subscription_ = true;
    std::optional<std::uint64_t> resume_after_answer_;  // lagged while subscribing: resume here
    std::uint64_t printed_ = 0;
};

}  // namespace mps3::ctl
