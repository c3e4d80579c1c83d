// The XML bodies S3 answers with: ListObjectsV2 pages and <Error> documents. Sans-io: text in,
// plain data out. Keys are data, not markup: entities, CDATA and whitespace survive exactly.
#pragma once

#include <mps3/result.hpp>
#include <mps3/s3/types.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace mps3::s3::detail {

/// A ListBucketResult document (any namespace or prefix) into a list_page; meta is left default.
/// With <EncodingType>url</EncodingType>, keys and prefixes are URL-decoded. Not XML, another
/// root element, a missing Key or a non-numeric Size: errc::bad_response.
mps3::result<list_page> parse_list_objects_v2(std::string_view xml);

/// A VersioningConfiguration document (GetBucketVersioning's answer, any namespace or prefix)
/// into status and mfa_delete; meta is left default. An empty <VersioningConfiguration/> (never
/// enabled) gives an empty status. Not XML, an <Error>, or a Status other than Enabled /
/// Suspended: errc::bad_response. A well-formed document of another kind (s3rver answers the
/// request with a <ListBucketResult>: it ignores ?versioning): errc::client_error.
mps3::result<bucket_versioning> parse_bucket_versioning(std::string_view xml);

/// The fields of an S3 <Error> document (also found inside <ErrorResponse>).
struct error_body {
    std::string code;  // e.g. "NoSuchKey"
    std::string message;
    std::string request_id;
    std::string resource;
};

/// nullopt for anything that is not an S3 error document: empty, HTML from a proxy, garbage.
std::optional<error_body> parse_error_body(std::string_view xml);

/// Decodes S3's encoding-type=url form: "%XX" escapes, and '+' for a space as AWS and MinIO
/// send it (a literal '+' arrives as "%2B"). nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view text);

}  // namespace mps3::s3::detail
