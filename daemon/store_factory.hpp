// From a configured store (daemon/config.hpp) to what mps3::store::open needs: the endpoint and
// region resolved, credentials found the AWS way, the replica path, the log.
#pragma once

#include "config.hpp"

#include <mps3/result.hpp>
#include <mps3/s3/credentials.hpp>
#include <mps3/s3/endpoint.hpp>
#include <mps3/store.hpp>

namespace mps3::daemon {

/// The store's S3 endpoint as the AWS CLI would find it (explicit settings, environment, the
/// AWS config file's profile; s3::resolve_endpoint) with its addressing chosen for the bucket.
/// Fails with a message naming the store and where it was configured.
result<s3::endpoint> resolve_store_endpoint(const store_settings& settings,
                                            const s3::environment& env);

/// The PEM file of extra trust anchors for the store's TLS, as the AWS CLI finds its CA bundle:
/// the store's ca_file, else AWS_CA_BUNDLE, else the profile's ca_bundle in the AWS config file;
/// "" for none (the system store alone, which is always used). A file that cannot be read fails
/// with a message naming the store and where the path came from.
result<std::string> resolve_ca_file(const store_settings& settings, const s3::environment& env);

/// Fails with a message naming the store (and where it was configured) when its endpoint is
/// malformed, no credentials are found, or store::open would refuse the result
/// (check_store_config: a bucket name AWS refuses...); never with the credentials themselves in
/// the message. The credentials come with an s3::credential_source that keeps them current.
result<store_config> make_store_config(const store_settings& settings,
                                       const daemon_settings& daemon, const s3::environment& env,
                                       const log_sink& log);

}  // namespace mps3::daemon
