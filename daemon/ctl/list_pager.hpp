// `mps3ctl list` and `mps3ctl export`: follows mps3d's list cursors page after page until the
// last page or --limit entries, printing one JSON line {"key":K,"value":V} per entry (safe for
// keys holding tabs or newlines, unlike a KEY<TAB>VALUE format). Export reads every page from
// one snapshot.
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
        /// Every page from one snapshot taken at the first page (`mps3ctl export`): the
        /// listing is one point in time even while others write.
        bool snapshot = false;
    };

    explicit list_pager(options opts);

    request start() override;
    step on_response(const ipc::rpc_response& response) override;

    /// Entries printed so far.
    [[nodiscard]] std::uint64_t printed() const { return printed_; }

  private:
    request page_request() const;

    options opts_;
    std::optional<std::string> cursor_;       // from the previous page
    std::optional<std::string> snapshot_id_;  // from the first page, with snapshot
    std::uint64_t printed_ = 0;
};

}  // namespace mps3::ctl
