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

}  // namespace mps3::protocol
