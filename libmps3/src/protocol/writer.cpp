#include "protocol/writer.hpp"

#include "json/document.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_key.hpp"

#include <map>
#include <utility>

namespace mps3::protocol {
namespace {

// Why key cannot be written, or empty when it can.
std::string key_problem(std::string_view key, std::string_view manifest_key) {
    if (key.empty()) {
        return "empty key";
    }
    if (!json::is_valid_utf8(key)) {
        return "key is not valid UTF-8";
    }
    if (key == manifest_key ||
        (key.size() > manifest_key.size() && key.substr(0, manifest_key.size()) == manifest_key &&
         key[manifest_key.size()] == '@')) {
        return "key \"" + std::string(key) + "\" collides with the manifest's objects";
    }
    return {};
}

}  // namespace

result<prepared_write> prepare_write(std::string_view bucket, std::string_view manifest_key,
                                     std::span<const write_batch> queue,
                                     const random_source& random, coalesce_limits limits,
                                     content_mode mode) {
    // Last op per key, in queue order: key -> value (nullopt: delete).
    std::map<std::string, const std::optional<std::string>*, std::less<>> last;
    std::size_t bytes = 0;
    prepared_write out;
    for (const auto& batch : queue) {
        std::map<std::string_view, const std::optional<std::string>*> mine;
        std::string problem;
        for (const auto& op : batch.ops) {
            problem = key_problem(op.key, manifest_key);
            if (!problem.empty()) {
                break;
            }
            mine[op.key] = &op.value;
        }
        if (!problem.empty()) {
            if (out.batch_ids.empty()) {
                return error(errc::invalid_argument,
                             "write batch " + std::to_string(batch.id) + ": " + problem);
            }
            break;  // commit what came before; this batch fails on the next call
        }
        // Would this batch overflow the entry? (Counted generously: keys already in `last` and
        // values later overwritten are counted too.)
        std::size_t new_keys = 0;
        std::size_t new_bytes = 0;
        for (const auto& [key, value] : mine) {
            if (last.find(key) == last.end()) {
                ++new_keys;
            }
            new_bytes += *value ? (*value)->size() : 0;
        }
        if (!out.batch_ids.empty() &&
            (last.size() + new_keys > limits.max_keys || bytes + new_bytes > limits.max_bytes)) {
            break;
        }
        for (const auto& [key, value] : mine) {
            last.insert_or_assign(std::string(key), value);
        }
        bytes += new_bytes;
        out.batch_ids.push_back(batch.id);
    }
    out.mode = mode;
    const bool versioned = mode == content_mode::versioned;
    for (const auto& [key, value] : last) {
        auto ref = format_content_ref(bucket, key);
        if (!*value) {
            out.update.emplace(std::move(ref), std::nullopt);
            if (versioned) {
                out.delete_objects.push_back(key);
            }
            continue;
        }
        // Versioned: the server names the version when the PUT returns (assign_versions).
        auto version = versioned ? std::string() : uuid_v4(random);
        out.puts.push_back({locate_content(mode, key, version).object_key, **value, key});
        out.update.emplace(std::move(ref), file_state{std::move(version), std::string()});
    }
    return out;
}

status assign_versions(prepared_write& write, std::span<const std::string> version_ids,
                       std::string_view bucket) {
    if (write.mode != content_mode::versioned) {
        return error(errc::invalid_argument, "versions are assigned in versioned mode only");
    }
    if (version_ids.size() != write.puts.size()) {
        return error(errc::invalid_argument, std::to_string(version_ids.size()) +
                                                 " version ids for " +
                                                 std::to_string(write.puts.size()) + " puts");
    }
    for (std::size_t i = 0; i < version_ids.size(); ++i) {
        if (version_ids[i].empty()) {
            return error(errc::client_error,
                         "PUT " + write.puts[i].object_key +
                             " returned no x-amz-version-id: bucket " + std::string(bucket) +
                             " is not version enabled (a store with versioning = true needs "
                             "S3 versioning Enabled on its bucket)");
        }
        if (write.update.find(format_content_ref(bucket, write.puts[i].key)) ==
            write.update.end()) {
            return error(errc::invalid_argument,
                         "key " + write.puts[i].key + " is not in the write's update");
        }
    }
    for (std::size_t i = 0; i < version_ids.size(); ++i) {
        auto& file = write.update.at(format_content_ref(bucket, write.puts[i].key));
        file->version = version_ids[i];
    }
    return success{};
}

writer_session::writer_session(std::string manifest_key, random_source random)
    : manifest_key_(std::move(manifest_key)),
      random_(std::move(random)),
      session_(make_session_id(random_())) {}

std::string writer_session::next_key(timestamp t) {
    if (counter_ >= session_entry_limit) {
        // A different id: the same one would restart at "vv" and could rewrite its own keys.
        const auto bits = random_();
        auto fresh = make_session_id(bits);
        if (fresh == session_) {
            fresh = make_session_id(bits + 1);
        }
        session_ = std::move(fresh);
        counter_ = 0;
    }
    return format_entry_key(manifest_key_, t, session_, counter_++);
}

}  // namespace mps3::protocol
