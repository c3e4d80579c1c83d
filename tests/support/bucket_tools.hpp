// Blocking helpers for end-to-end tests that drive processes rather than coroutines: make a
// bucket, and read a store's state straight from the bucket with the independent reader
// (spec_reader.hpp), not through any daemon.
#pragma once

#include "test_server.hpp"

#include <map>
#include <string>
#include <vector>

namespace mps3::test {

void create_bucket_now(const test_server& server, const std::string& bucket);

/// PUT an object as any client could (Content-Type application/json); throws on failure.
void put_object_now(const test_server& server, const std::string& bucket, const std::string& key,
                    const std::string& body);

/// An object's body; throws on failure.
std::string get_object_now(const test_server& server, const std::string& bucket,
                           const std::string& key);

/// Every key under prefix, in listing order; throws on failure.
std::vector<std::string> list_keys_now(const test_server& server, const std::string& bucket,
                                       const std::string& prefix);

/// key -> compact JSON value, as ../shared/BUCKET_FORMAT.md defines the state.
std::map<std::string, std::string> read_bucket_now(const test_server& server,
                                                   const std::string& bucket,
                                                   const std::string& manifest = "manifest.json");

/// What the independent reader makes of the bucket, for failure messages: the latest entry, and
/// the entries it found invalid or unreadable.
std::string describe_bucket_now(const test_server& server, const std::string& bucket,
                                const std::string& manifest = "manifest.json");

}  // namespace mps3::test
