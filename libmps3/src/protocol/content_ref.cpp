#include "protocol/content_ref.hpp"

namespace mps3::protocol {

std::string format_content_ref(std::string_view bucket, std::string_view key) {
    std::string out;
    out.reserve(bucket.size() + 1 + key.size());
    out.append(bucket).append("/").append(key);
    return out;
}

std::optional<content_ref> parse_content_ref(std::string_view ref) {
    const auto slash = ref.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == ref.size()) {
        return std::nullopt;
    }
    return content_ref{std::string(ref.substr(0, slash)), std::string(ref.substr(slash + 1))};
}

std::string content_object_key(std::string_view key, std::string_view version) {
    std::string out;
    out.reserve(key.size() + 1 + version.size());
    out.append(key).append("@").append(version);
    return out;
}

content_location locate_content(content_mode mode, std::string_view key, std::string_view version) {
    if (mode == content_mode::versioned) {
        return {std::string(key), std::string(version)};
    }
    return {content_object_key(key, version), std::string()};
}

std::string describe_location(const content_location& where) {
    if (where.version_id.empty()) {
        return where.object_key;
    }
    return where.object_key + "?versionId=" + where.version_id;
}

}  // namespace mps3::protocol
