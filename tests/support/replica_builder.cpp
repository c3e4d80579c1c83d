#include "replica_builder.hpp"

#include "protocol/entry_key.hpp"
#include "protocol/uuid.hpp"
#include "replica/replica.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mps3::test {
namespace {

// Keys per apply_remote transaction: big enough that 100,000 keys take a few commits, small
// enough that one chunk's values stay a few MiB in memory.
constexpr std::size_t keys_per_transaction = 20'000;

// Pads a value to about 100 bytes of compact JSON.
constexpr std::size_t value_pad_bytes = 80;

[[noreturn]] void fail(const replica_spec& spec, const std::string& what) {
    throw std::runtime_error("build_replica " + spec.path.string() + ": " + what);
}

replica::confirmed_value confirmed(const replica_spec& spec, std::size_t i) {
    return {.value = replica_value(i),
            .version = replica_version(i),
            .bucket = spec.bucket,
            .replication = std::nullopt};
}

// The sync position a real sync leaves behind. No marker ETag: the first poll that reaches
// the bucket lists it in full rather than trusting a marker this file never saw.
std::vector<std::pair<std::string, std::string>> sync_meta(const replica_spec& spec) {
    const auto now = protocol::to_timestamp(std::chrono::system_clock::now());
    std::vector<std::pair<std::string, std::string>> meta{
        {std::string(replica::meta_key::newest_entry_key),
         protocol::format_entry_key(spec.manifest, now, "b1d", 0)},
        {std::string(replica::meta_key::last_sync_at),
         std::to_string(now.time_since_epoch().count())},
    };
    if (spec.store_identity) {
        meta.emplace_back(std::string(replica::meta_key::store_identity), *spec.store_identity);
    }
    return meta;
}

}  // namespace

std::string replica_key(std::size_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "k/%06zu", i);
    return buf;
}

std::string replica_value(std::size_t i) {
    return R"({"n":)" + std::to_string(i) + R"(,"pad":")" + std::string(value_pad_bytes, 'x') +
           R"("})";
}

namespace {

// SplitMix64's finaliser: a bijection of 64-bit words that looks random.
std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

}  // namespace

std::string replica_version(std::size_t i) {
    // Deterministic content versions that look like the random UUIDs MPS3 writes, distinct per
    // key: as incompressible as real ones, so entry sizes measured with gzip are real sizes.
    return protocol::uuid_v4(mix(0x6d707333'00000000ULL + i), mix(0x0123456789abcdefULL ^ i));
}

std::string replica_store_identity(std::string_view host, std::uint16_t port,
                                   std::string_view bucket, std::string_view manifest) {
    return std::string(host) + ":" + std::to_string(port) + "/" + std::string(bucket) + "/" +
           std::string(manifest);
}

void build_replica(const replica_spec& spec) {
    if (spec.bucket.empty() || spec.manifest.empty()) {
        fail(spec, "a bucket and a manifest are needed");
    }
    if (std::filesystem::exists(spec.path)) {
        fail(spec, "the file exists already");
    }
    {
        // Durability does not matter for a file we build and close: fsync at checkpoints only.
        replica::options options;
        options.synchronous = replica::sync_mode::normal;
        auto db = replica::replica::open(spec.path, options);
        if (!db) {
            fail(spec, db.err().describe());
        }
        std::vector<replica::remote_change> diff;
        std::size_t first = 0;
        do {  // at least once: an empty replica still gets its sync meta
            const auto last = std::min(spec.keys, first + keys_per_transaction);
            diff.clear();
            for (std::size_t i = first; i < last; ++i) {
                diff.push_back({replica_key(i), confirmed(spec, i)});
            }
            // The sync meta goes with the last chunk, as a real sync writes both at once.
            std::vector<std::pair<std::string, std::string>> meta;
            if (last == spec.keys) {
                meta = sync_meta(spec);
            }
            auto applied = db->apply_remote(diff, meta);
            if (!applied) {
                fail(spec, applied.err().describe());
            }
            first = last;
        } while (first < spec.keys);
    }
    // Closing the last connection checkpoints the WAL into the file and deletes it.
    std::error_code ec;
    const auto wal = spec.path.string() + "-wal";
    if (std::filesystem::exists(wal, ec) && std::filesystem::file_size(wal, ec) > 0) {
        fail(spec, "its WAL was not folded into the file at close");
    }
}

}  // namespace mps3::test
