// Secrets a server echoes in an error never reach the error (s3/response_mapping.hpp).
#include "s3/response_mapping.hpp"

#include <doctest/doctest.h>

using namespace mps3;

TEST_CASE("redact_secrets: the secret key and token a server echoes are replaced") {
    const s3::credentials creds{.access_key_id = "AKIDEXAMPLE",
                                .secret_access_key = "canary-secret",
                                .session_token = "canary-token"};
    // A proxy's page echoing the request headers: kept as an excerpt in the message.
    s3::detail::http_response page;
    page.status = 403;
    page.body = "<html>denied: x-amz-security-token: canary-token, again canary-token</html>";
    auto e = s3::detail::error_from(page);
    REQUIRE(e.message.find("canary-token") != std::string::npos);  // the case is real
    s3::detail::redact_secrets(e, creds);
    CHECK(e.message.find("canary-token") == std::string::npos);
    CHECK(e.message.find("x-amz-security-token: <redacted>, again <redacted>") !=
          std::string::npos);

    // An S3 error whose message holds the secret key.
    s3::detail::http_response xml;
    xml.status = 403;
    xml.body =
        "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>key "
        "canary-secret</Message><RequestId>canary-token</RequestId></Error>";
    auto s = s3::detail::error_from(xml);
    s3::detail::redact_secrets(s, creds);
    CHECK(s.s3_code == "SignatureDoesNotMatch");
    CHECK(s.message == "key <redacted>");
    CHECK(s.request_id == "<redacted>");
    CHECK(s.describe().find("canary") == std::string::npos);

    // No token, and a secret the message does not hold: nothing changed.
    s3::detail::http_response plain;
    plain.status = 500;
    plain.body = "oops";
    auto p = s3::detail::error_from(plain);
    const auto before = p.message;
    s3::detail::redact_secrets(p, {.access_key_id = "a", .secret_access_key = "not-there"});
    CHECK(p.message == before);
}
