// Sans-io interpretation of S3 responses: the metadata every response carries, and the error
// (errc from the status, S3 code/message/request id from the XML body) for a failed one.
#pragma once

#include "s3/http_message.hpp"

#include <mps3/error.hpp>
#include <mps3/s3/credentials.hpp>
#include <mps3/s3/types.hpp>

namespace mps3::s3::detail {

response_meta meta_from(const http_response& response);
metadata user_metadata_from(const http_response& response);

/// The error for a response whose status is not a success.
error error_from(const http_response& response);

/// Replaces the secret key and the session token wherever the server put them in an error's
/// texts with "<redacted>": a server or a proxy in front of it may echo what it was sent (the
/// token is a request header) in a message or a non-XML body, and errors end up in logs and in
/// status answers.
void redact_secrets(error& e, const credentials& creds);

}  // namespace mps3::s3::detail
