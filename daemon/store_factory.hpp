// From a configured store (daemon/config.hpp) to what mps3::store::open needs: the endpoint and
// region resolved, credentials found the AWS way, the replica path, the log.
#pragma once

#include "config.hpp"

#include <mps3/result.hpp>
#include <mps3/s3/credentials.hpp>
#include <mps3/store.hpp>

namespace mps3::daemon {

/// Fails with a message naming the store (and where it was configured) when its endpoint is
/// malformed, no credentials are found, or store::open would refuse the result
/// (check_store_config: a bucket name AWS refuses...); never with the credentials themselves in
/// the message.
result<store_config> make_store_config(const store_settings& settings,
                                       const daemon_settings& daemon, const s3::environment& env,
                                       const log_sink& log);

}  // namespace mps3::daemon
