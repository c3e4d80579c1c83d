// Which bucket names and object keys an S3 request can carry. The client checks every request
// with these; a store checks its configuration with them when it opens, so that a name no
// request can carry stops mps3d at start instead of failing every sync.
#pragma once

#include <mps3/s3/endpoint.hpp>

#include <string>
#include <string_view>

namespace mps3::s3 {

/// Why `bucket` cannot name a bucket on a server addressed this way, or "" when it can.
/// Path-style servers (MinIO, Ceph RGW, s3rver) take 3 to 63 letters, digits, '-', '.' and
/// '_'. A virtual-hosted bucket (AWS) is part of a host name: lower-case letters, digits, '-'
/// and '.', starting and ending with a letter or digit, no "..", not an IPv4 address.
std::string bucket_name_problem(std::string_view bucket,
                                addressing_style addressing = addressing_style::path);

/// Why `region` cannot be a signing region (it goes into the signature's scope and, on AWS, a
/// host name): empty, or other than letters, digits, '-', '_' and '.'. "" when it can.
std::string region_name_problem(std::string_view region);

/// Why `key` cannot be an object key (empty, longer than 1024 bytes), or "" when it can.
std::string object_key_problem(std::string_view key);

}  // namespace mps3::s3
