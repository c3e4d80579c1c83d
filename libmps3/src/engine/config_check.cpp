// The checks of a store's configuration that no retry can fix, made before anything opens:
// a bucket name S3 refuses, say, used to be found by the first request, and then by every
// retry of it, forever (issue 11).
#include "json/document.hpp"
#include "protocol/entry_key.hpp"

#include <mps3/s3/names.hpp>
#include <mps3/store.hpp>

#include <string>

namespace mps3 {
namespace {

// More requests in flight than any S3 service welcomes from one client (AWS S3 answers
// SlowDown well before), and more sockets than a default RLIMIT_NOFILE leaves for the socket.
constexpr std::size_t max_parallel_limit = 512;

error invalid(std::string message) {
    return {errc::invalid_argument, std::move(message)};
}

status check_manifest_key(const std::string& manifest) {
    if (manifest.empty()) {
        return invalid("manifest key must not be empty");
    }
    if (!json::is_valid_utf8(manifest)) {
        return invalid("manifest key is not valid UTF-8");
    }
    // The longest object key of the manifest is one of its entries: "M@<stamp>_<session>_<n>".
    const auto entry = protocol::format_entry_key(manifest, protocol::timestamp{}, "000", 0);
    if (auto why = s3::object_key_problem(entry); !why.empty()) {
        return invalid("manifest key '" + manifest.substr(0, 64) + "...' is " +
                       std::to_string(manifest.size()) + " bytes; its entry keys (" +
                       std::to_string(entry.size() - manifest.size()) +
                       " bytes longer) would not fit: " + why);
    }
    return success{};
}

}  // namespace

status check_store_config(const store_config& config) {
    if (config.bucket.empty()) {
        return invalid("a store needs a bucket");
    }
    // A scripted bucket (tests) uses the name only as the store's identity.
    if (!config.make_bucket) {
        const auto addressing = config.s3.server.addressing;
        if (auto why = s3::bucket_name_problem(config.bucket, addressing); !why.empty()) {
            return invalid("bucket '" + config.bucket + "': " + why);
        }
        if (config.s3.server.host.empty()) {
            return invalid("the S3 endpoint has no host");
        }
        if (config.s3.credentials.access_key_id.empty() ||
            config.s3.credentials.secret_access_key.empty()) {
            // Every request is signed: without keys, every one of them would be refused.
            return error(errc::no_credentials, "no access key id or secret access key");
        }
    }
    if (auto ok = check_manifest_key(config.manifest_key); !ok) {
        return ok;
    }
    if (config.replica_path.empty()) {
        return invalid("a store needs a replica path");
    }
    if (config.max_parallel_requests == 0 || config.max_parallel_requests > max_parallel_limit) {
        return invalid("max_parallel_requests must be 1 to " + std::to_string(max_parallel_limit));
    }
    // Above 1 GiB the S3 client's own limit applies; below 1 KiB no real entry would fit.
    constexpr std::size_t min_object_limit = 1024;
    constexpr std::size_t max_object_limit = std::size_t{1} << 30;
    for (const auto& [name, value] : {std::pair{"max_entry_bytes", config.max_entry_bytes},
                                      std::pair{"max_content_bytes", config.max_content_bytes}}) {
        if (value < min_object_limit || value > max_object_limit) {
            return invalid(std::string(name) + " must be 1024 to 1073741824");
        }
    }
    if (config.max_entry_files == 0) {
        return invalid("max_entry_files must be at least 1");
    }
    if (config.poll_interval.count() <= 0 || config.max_persistent_backoff.count() <= 0) {
        return invalid("poll_interval and max_persistent_backoff must be positive");
    }
    return success{};
}

}  // namespace mps3
