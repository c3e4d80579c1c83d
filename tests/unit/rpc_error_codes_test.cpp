// The protocol's error codes: the specification's, the application's, and the one mapping from
// the engine's mps3::errc.
#include <mps3/ipc/error_codes.hpp>

#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <system_error>

using namespace mps3::ipc;
using mps3::errc;

TEST_CASE("rpc error codes: the numbers are the documented ones") {
    CHECK(static_cast<int>(rpc_code::parse_error) == -32700);
    CHECK(static_cast<int>(rpc_code::invalid_request) == -32600);
    CHECK(static_cast<int>(rpc_code::method_not_found) == -32601);
    CHECK(static_cast<int>(rpc_code::invalid_params) == -32602);
    CHECK(static_cast<int>(rpc_code::internal_error) == -32603);
    CHECK(static_cast<int>(rpc_code::unknown_store) == -32001);
    CHECK(static_cast<int>(rpc_code::invalid_key) == -32002);
    CHECK(static_cast<int>(rpc_code::value_too_large) == -32003);
    CHECK(static_cast<int>(rpc_code::timeout) == -32004);
    CHECK(static_cast<int>(rpc_code::offline) == -32005);
    CHECK(static_cast<int>(rpc_code::storage_error) == -32006);
    CHECK(static_cast<int>(rpc_code::not_found) == -32007);
    CHECK(static_cast<int>(rpc_code::forbidden) == -32008);
    CHECK(static_cast<int>(rpc_code::limit_exceeded) == -32009);
    CHECK(standard_message(-32008) == "Forbidden");
    CHECK(standard_message(-32009) == "Limit exceeded");
    CHECK(standard_message(-32700) == "Parse error");
    CHECK(standard_message(-32600) == "Invalid Request");
    CHECK(standard_message(-32601) == "Method not found");
    CHECK(standard_message(-32602) == "Invalid params");
    CHECK(standard_message(-32603) == "Internal error");
    CHECK(standard_message(-32005) == "Offline");
    CHECK(standard_message(-32099) == "Server error");
    CHECK(standard_message(7) == "Server error");
}

TEST_CASE("rpc error codes: every mps3::errc maps to one protocol code") {
    CHECK(code_for(errc::invalid_argument) == rpc_code::invalid_key);
    CHECK(code_for(errc::timeout) == rpc_code::timeout);
    CHECK(code_for(errc::network) == rpc_code::offline);
    CHECK(code_for(errc::tls) == rpc_code::offline);
    CHECK(code_for(errc::cancelled) == rpc_code::offline);
    CHECK(code_for(errc::not_found) == rpc_code::not_found);
    for (const auto e : {errc::storage, errc::bad_response, errc::access_denied,
                         errc::precondition_failed, errc::conflict, errc::client_error,
                         errc::server_error, errc::no_credentials, errc::too_large}) {
        CHECK(code_for(e) == rpc_code::storage_error);
    }
    CHECK(code_for(errc::ok) == rpc_code::internal_error);
    CHECK(code_for(std::make_error_code(std::errc::no_space_on_device)) ==
          rpc_code::internal_error);
    CHECK(code_for(std::error_code(999, mps3::mps3_category())) == rpc_code::internal_error);
}

TEST_CASE("rpc error codes: an engine error keeps its message and S3 diagnostics") {
    const auto plain = to_rpc_error(mps3::error(errc::invalid_argument, "key must not be empty"));
    CHECK(plain.is(rpc_code::invalid_key));
    CHECK(plain.message == "key must not be empty");
    CHECK_FALSE(plain.data);

    mps3::error s3(errc::access_denied, "the bucket refused the request");
    s3.http_status = 403;
    s3.s3_code = "SignatureDoesNotMatch";
    s3.request_id = "4442587FB7D0A2F9";
    s3.attempts = 1;
    const auto mapped = to_rpc_error(s3);
    CHECK(mapped.is(rpc_code::storage_error));
    CHECK(mapped.message == "the bucket refused the request");
    REQUIRE(mapped.data);
    CHECK(*mapped.data == R"({"httpStatus":403,"s3Code":"SignatureDoesNotMatch",)"
                          R"("requestId":"4442587FB7D0A2F9","attempts":1})");

    // Without a message, the category's words stand in.
    const auto bare = to_rpc_error(mps3::error(errc::timeout, ""));
    CHECK(bare.message == "timed out");

    // Diagnostics that are not UTF-8 are dropped, the error is kept.
    mps3::error garbled(errc::server_error, "bad gateway");
    garbled.s3_code = "\xff";
    const auto kept = to_rpc_error(garbled);
    CHECK(kept.is(rpc_code::storage_error));
    CHECK_FALSE(kept.data);
}
