// `mps3ctl list`: follows mps3d's list cursors page after page until the last page or --limit
// entries, printing one JSON line {"key":K,"value":V} per entry (safe for keys holding tabs or
// newlines, unlike a KEY<TAB>VALUE format).
#pragma once

#include "conversation.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace mps3::ctl {

class list_pager : public conversation {
  public:
    struct options {
        std::string prefix;
        std::optional<std::uint64_t> limit;  // total entries; nullopt: all
        std::optional<std::string> store;
        std::uint64_t page_size = 100;
        std::chrono::milliseconds wait{30'000};
    };

    explicit list_pager(options opts);

    request start() override;
    step on_response(const ipc::rpc_response& response) override;

    /// Entries printed so far.
    [[nodiscard]] std::uint64_t printed() const { return printed_; }

  private:
    request page_request() const;

    options opts_;
    std::optional<std::string> cursor_;  // from the previous page
    std::uint64_t printed_ = 0;
};

}  // namespace mps3::ctl
