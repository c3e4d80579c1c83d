// `mps3ctl import`: reads the lines `mps3ctl export` prints ({"key":K,"value":V}, one per line)
// and writes them with putAll in atomic batches of a bounded size, one batch in flight at a
// time. A line that is not such an object stops the import before its batch is sent, naming the
// line; the batches sent before it stay written (each is atomic, the import as a whole is not).
#pragma once

#include "conversation.hpp"

#include <mps3/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace mps3::ctl {

class importer : public conversation {
  public:
    /// The next input line without its '\n', nullopt at the end of the input.
    using line_source = std::function<std::optional<std::string>()>;

    struct options {
        std::optional<std::string> store;
        std::size_t batch_ops = 1000;                    // at most this many ops per putAll
        std::size_t batch_bytes = std::size_t{4} << 20;  // and about this much JSON
        bool dry_run = false;                            // check every line, write nothing
        bool progress = false;                           // a progress line on stderr
        std::chrono::milliseconds wait{30'000};
    };

    importer(options opts, line_source input);

    /// Reads the first batch (with --dry-run: the whole input). A bad line fails here, so that
    /// mps3ctl exits 2 before anything is sent.
    status prepare();

    request start() override;
    step on_response(const ipc::rpc_response& response) override;

  private:
    struct batch {
        std::string params;  // putAll params, compact JSON
        std::size_t ops = 0;
    };
    /// The next batch, nullopt at the end of the input; an error names the bad line.
    result<std::optional<batch>> read_batch();
    [[nodiscard]] request put_request(const batch& b) const;
    [[nodiscard]] request check_request() const;
    [[nodiscard]] std::string summary() const;

    options opts_;
    line_source input_;
    std::uint64_t line_no_ = 0;
    std::optional<batch> next_;   // read, not yet sent
    std::size_t in_flight_ = 0;   // ops of the putAll awaiting its answer
    std::uint64_t imported_ = 0;  // keys written (dry run: keys checked)
    std::uint64_t batches_ = 0;
};

}  // namespace mps3::ctl
