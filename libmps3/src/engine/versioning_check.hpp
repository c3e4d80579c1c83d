// Versioned mode (store_config::versioning, BUCKET_FORMAT.md section 10): before a store syncs,
// its bucket must have S3 versioning Enabled, or every content PUT would overwrite the one
// object of its key and no version id would come back to name in the manifest. Sans-io: the
// GetBucketVersioning answer in, the verdict out. The sync loop (async_sync_once) and mps3d's
// start-up check (daemon/runtime.cpp) act on it.
#pragma once

#include <mps3/result.hpp>
#include <mps3/s3/types.hpp>

#include <string_view>

namespace mps3::engine {

/// success when the answer says Status Enabled. A definite "no" is errc::invalid_argument
/// (a persistent failure: no retry fixes it, the operator must) with a message naming the
/// bucket, what the server said and what to do: Suspended, never enabled, a server without
/// versioning (501 NotImplemented, or a 2xx with another document: s3rver 3.7.1 answers with
/// a bucket listing), no permission to ask, no such bucket, any other 4xx. A failure that may pass
/// (network, timeout, 5xx, a garbled answer) is returned as it was, with the bucket named: the
/// caller tries again later.
status judge_versioning(const result<s3::bucket_versioning>& answer, std::string_view bucket);

/// True for judge_versioning's definite "no" (as opposed to "could not ask").
bool versioning_refused(const error& e);

}  // namespace mps3::engine
