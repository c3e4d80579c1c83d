// mps3ctl's commands about the daemon as a whole: `metrics` (the Prometheus text), `health`
// (exit 0 when every store is healthy, 1 with the reasons otherwise) and `status --all` (every
// store's status, asking `stores` for their names first). Sans-io, like commands.hpp.
#pragma once

#include "commands.hpp"

namespace mps3::ctl {

result<std::unique_ptr<conversation>> plan_metrics(const invocation& inv,
                                                   std::chrono::milliseconds wait);
result<std::unique_ptr<conversation>> plan_health(const invocation& inv,
                                                  std::chrono::milliseconds wait);
result<std::unique_ptr<conversation>> plan_status_all(const invocation& inv,
                                                      std::chrono::milliseconds wait);

}  // namespace mps3::ctl
