// Sans-io interpretation of S3 responses: the metadata every response carries, and the error
// (errc from the status, S3 code/message/request id from the XML body) for a failed one.
#pragma once

#include "s3/http_message.hpp"

#include <mps3/error.hpp>
#include <mps3/s3/types.hpp>

namespace mps3::s3::detail {

response_meta meta_from(const http_response& response);
metadata user_metadata_from(const http_response& response);

/// The error for a response whose status is not a success.
error error_from(const http_response& response);

}  // namespace mps3::s3::detail
