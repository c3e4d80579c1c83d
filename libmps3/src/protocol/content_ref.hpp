// Content references: the manifest names a stored value "<bucket>/<key>", and the value lives in
// that bucket at "<key>@<version>" (BUCKET_FORMAT.md sections 1, 2 and 4).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mps3::protocol {

struct content_ref {
    std::string bucket;
    std::string key;

    friend bool operator==(const content_ref&, const content_ref&) = default;
};

/// "<bucket>/<key>". The key may itself hold '/': only the first '/' separates.
std::string format_content_ref(std::string_view bucket, std::string_view key);

/// Splits at the first '/', as MPS3 does. nullopt for a reference no writer produces (no '/',
/// empty bucket or empty key): such a state member names nothing that can be fetched.
std::optional<content_ref> parse_content_ref(std::string_view ref);

/// "<key>@<version>": the immutable object holding one version of a key's value.
std::string content_object_key(std::string_view key, std::string_view version);

/// Where a store keeps its content (BUCKET_FORMAT.md sections 2 and 10).
enum class content_mode {
    suffixed,   // MPS3's default: object "<key>@<version>", the version chosen by the writer
    versioned,  // MPS3's useVersioning: object "<key>", the version is the S3 version id
};

/// The request that reads (or, for a writer, names) one version of a key's value.
struct content_location {
    std::string object_key;
    std::string version_id;  // the S3 versionId query parameter; empty in suffixed mode

    friend bool operator==(const content_location&, const content_location&) = default;
};

/// suffixed: {"<key>@<version>", ""}; versioned: {"<key>", version}. An empty version in
/// versioned mode names the key's current object: only a writer's PUT, whose version the
/// server chooses, is addressed that way.
content_location locate_content(content_mode mode, std::string_view key, std::string_view version);

/// "<key>@<version>" or "<key>?versionId=<version>": how logs name a content version.
std::string describe_location(const content_location& where);

}  // namespace mps3::protocol
