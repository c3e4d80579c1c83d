// A replica file holding N keys as if mps3d had already synced them from a bucket, written
// through the replica API (apply_remote, in a few transactions) so that 100,000 keys take
// seconds: what the cold-start test and benchmark start mps3d on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::test {

struct replica_spec {
    std::filesystem::path path;  // created (its directory must exist); must not exist yet
    std::size_t keys = 0;
    std::string bucket;  // the bucket the confirmed values came from
    std::string manifest = "manifest.json";
    /// The store identity mps3d checks at open ("<host>:<port>/<bucket>/<manifest>", see
    /// replica_store_identity). nullopt: not written, so the first mps3d to open the file records
    /// its own, as for any replica that has not met its bucket yet.
    std::optional<std::string> store_identity;
};

/// The i-th key: "k/000042" (six digits, so byte order is numeric order up to 999,999).
std::string replica_key(std::size_t i);
/// The i-th key's value, compact JSON of about 100 bytes: {"n":i,"pad":"xxxx..."}.
std::string replica_value(std::size_t i);
/// The i-th key's content version: a deterministic UUID of the form MPS3 writes, distinct per
/// key. A bucket seeded with these versions (the sync benchmark does) is what a built replica
/// already holds: a daemon started on it has nothing to fetch.
std::string replica_version(std::size_t i);
/// What the engine records as the identity of a store (libmps3/src/engine/store.cpp).
std::string replica_store_identity(std::string_view host, std::uint16_t port,
                                   std::string_view bucket, std::string_view manifest);

/// Writes the replica and closes it (its WAL folded into the file, so copying `path` alone
/// copies the replica). Throws std::runtime_error naming the failing step.
void build_replica(const replica_spec& spec);

}  // namespace mps3::test
