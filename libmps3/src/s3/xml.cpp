#include "s3/xml.hpp"

#include "s3/time_format.hpp"

#include <pugixml.hpp>

#include <charconv>

namespace mps3::s3::detail {
namespace {

// Entities, CDATA and line-end normalisation as XML requires; whitespace-only text kept when it
// is an element's only content, so a key of "  " is not dropped while indentation between
// elements still is (leading and trailing spaces of other text are never trimmed by pugixml).
// parse_fragment only so that text outside the root element is kept, to be rejected below.
constexpr unsigned parse_options =
    pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_fragment;

/// An element name without its namespace prefix: servers may write <s3:Key> as well as <Key>.
std::string_view local_name(const pugi::xml_node& node) {
    const std::string_view name = node.name();
    const auto colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
    for (const pugi::xml_node& node : parent.children()) {
        if (node.type() == pugi::node_element && local_name(node) == name) {
            return node;
        }
    }
    return {};
}

/// All character data of an element: text may be split into several PCDATA and CDATA nodes
/// ("a<![CDATA[<b>]]>c"), which pugixml's child_value() would cut at the first.
std::string text_of(const pugi::xml_node& element) {
    std::string out;
    for (const pugi::xml_node& node : element.children()) {
        if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
            out += node.value();
        }
    }
    return out;
}

std::string child_text(const pugi::xml_node& parent, std::string_view name) {
    return text_of(child(parent, name));
}

/// The document's root element, or an empty node with `problem` set.
pugi::xml_node load_root(pugi::xml_document& doc, std::string_view xml, std::string& problem) {
    if (xml.empty()) {
        problem = "empty body";
        return {};
    }
    const pugi::xml_parse_result parsed =
        doc.load_buffer(xml.data(), xml.size(), parse_options, pugi::encoding_utf8);
    if (!parsed) {
        problem = "not valid XML: " + std::string(parsed.description()) + " at byte " +
                  std::to_string(parsed.offset);
        return {};
    }
    // pugixml tolerates several roots and text after the root; a well-formed S3 body has neither,
    // and two responses glued together by a confused connection must not pass for one.
    int elements = 0;
    for (const pugi::xml_node& node : doc.children()) {
        if (node.type() == pugi::node_element) {
            ++elements;
        } else if ((node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) &&
                   std::string_view(node.value()).find_first_not_of(" \t\r\n") !=
                       std::string_view::npos) {
            problem = "not valid XML: text outside the root element";
            return {};
        }
    }
    if (elements != 1) {
        problem = elements == 0 ? "not valid XML: no root element"
                                : "not valid XML: " + std::to_string(elements) + " root elements";
        return {};
    }
    return doc.document_element();
}

mps3::error bad_response(std::string message) {
    return {errc::bad_response, "ListObjectsV2 response: " + std::move(message)};
}

/// Applies the listing's encoding to one key or prefix.
std::optional<std::string> decode(std::string text, bool url_encoded) {
    if (!url_encoded) {
        return text;
    }
    return url_decode(text);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::optional<std::string> url_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c != '%') {
            out += c;
        } else {
            if (i + 2 >= text.size()) {  // '%' needs two hex digits after it
                return std::nullopt;
            }
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) {
                return std::nullopt;
            }
            out += static_cast<char>(high * 16 + low);
            i += 2;
        }
    }
    return out;
}

mps3::result<list_page> parse_list_objects_v2(std::string_view xml) {
    pugi::xml_document doc;
    std::string problem;
    const pugi::xml_node root = load_root(doc, xml, problem);
    if (!root) {
        return bad_response(problem);
    }
    if (local_name(root) != "ListBucketResult") {
        std::string message = "expected <ListBucketResult>, got <" + std::string(root.name()) + ">";
        if (local_name(root) == "Error") {
            message += " " + child_text(root, "Code") + ": " + child_text(root, "Message");
        }
        return bad_response(std::move(message));
    }

    const bool url_encoded = child_text(root, "EncodingType") == "url";
    list_page page;

    const std::string truncated = child_text(root, "IsTruncated");
    if (truncated == "true" || truncated == "True") {
        page.is_truncated = true;
    } else if (!truncated.empty() && truncated != "false" && truncated != "False") {
        return bad_response("IsTruncated is '" + truncated + "', expected true or false");
    }
    page.next_continuation_token = child_text(root, "NextContinuationToken");

    for (const pugi::xml_node& node : root.children()) {
        if (node.type() != pugi::node_element) {
            continue;
        }
        const std::string_view name = local_name(node);
        if (name == "Contents") {
            const pugi::xml_node key_node = child(node, "Key");
            if (!key_node) {
                return bad_response("a <Contents> entry has no <Key>");
            }
            auto key = decode(text_of(key_node), url_encoded);
            if (!key) {
                return bad_response("key '" + text_of(key_node) + "' is not URL-encoded");
            }
            object_summary object;
            object.key = std::move(*key);
            object.last_modified = child_text(node, "LastModified");
            // A date we cannot read must not hide the object: keep the text, leave the time empty.
            object.last_modified_time = parse_iso8601(object.last_modified);
            object.etag = child_text(node, "ETag");
            const std::string size = child_text(node, "Size");
            if (!size.empty()) {
                const char* end = size.data() + size.size();
                const auto [ptr, ec] = std::from_chars(size.data(), end, object.size);
                if (ec != std::errc{} || ptr != end) {
                    return bad_response("Size '" + size + "' of key '" + object.key +
                                        "' is not a byte count");
                }
            }
            page.objects.push_back(std::move(object));
        } else if (name == "CommonPrefixes") {
            for (const pugi::xml_node& prefix_node : node.children()) {
                if (prefix_node.type() != pugi::node_element ||
                    local_name(prefix_node) != "Prefix") {
                    continue;
                }
                auto prefix = decode(text_of(prefix_node), url_encoded);
                if (!prefix) {
                    return bad_response("prefix '" + text_of(prefix_node) + "' is not URL-encoded");
                }
                page.common_prefixes.push_back(std::move(*prefix));
            }
        }
    }
    return page;
}

mps3::result<bucket_versioning> parse_bucket_versioning(std::string_view xml) {
    const auto bad = [](std::string message) {
        return mps3::error(errc::bad_response, "GetBucketVersioning response: " + message);
    };
    pugi::xml_document doc;
    std::string problem;
    const pugi::xml_node root = load_root(doc, xml, problem);
    if (!root) {
        return bad(problem);
    }
    if (local_name(root) != "VersioningConfiguration") {
        std::string message =
            "expected <VersioningConfiguration>, got <" + std::string(root.name()) + ">";
        if (local_name(root) == "Error") {
            message += " " + child_text(root, "Code") + ": " + child_text(root, "Message");
            return bad(std::move(message));
        }
        // A whole document of another kind: the server ignored the ?versioning subresource
        // (s3rver 3.7.1 answers it with a listing). That is an answer, not a garbled one.
        return mps3::error(errc::client_error,
                           "GetBucketVersioning response: " + message +
                               ": the server does not implement GetBucketVersioning");
    }
    bucket_versioning out;
    out.status = child_text(root, "Status");
    if (!out.status.empty() && out.status != "Enabled" && out.status != "Suspended") {
        return bad("Status is '" + out.status + "', expected Enabled or Suspended");
    }
    out.mfa_delete = child_text(root, "MfaDelete");
    return out;
}

std::optional<error_body> parse_error_body(std::string_view xml) {
    pugi::xml_document doc;
    std::string problem;
    pugi::xml_node root = load_root(doc, xml, problem);
    if (!root) {
        return std::nullopt;
    }
    // Some S3-compatible servers wrap the error as the STS/EC2 APIs do.
    if (local_name(root) == "ErrorResponse") {
        root = child(root, "Error");
    }
    if (!root || local_name(root) != "Error") {
        return std::nullopt;
    }
    return error_body{child_text(root, "Code"), child_text(root, "Message"),
                      child_text(root, "RequestId"), child_text(root, "Resource")};
}

}  // namespace mps3::s3::detail
