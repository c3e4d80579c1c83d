// SigV4 against AWS's published vectors. Expected strings are copied from the vector files, not
// computed here: aws-sig-v4-test-suite (2015 edition: .creq canonical request, .sts string to
// sign, .authz Authorization), the aws-signing-test-suite/v4 files of awslabs/aws-c-auth, and the
// S3 API Reference example "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk" (GET Object). Each stage is checked separately where the vector
// publishes it, so a failure points at the stage that is wrong.
#include "s3/sigv4.hpp"
#include "s3/crypto.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using namespace mps3::s3::detail;
using mps3::s3::credentials;
using fields = std::vector<std::pair<std::string, std::string>>;

namespace {

// Common to every aws-sig-v4-test-suite vector.
const credentials suite_credentials{.access_key_id = "AKIDEXAMPLE",
                                    .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                    .session_token = {}};
const signing_scope suite_scope{.region = "us-east-1", .service = "service"};
constexpr std::string_view suite_date = "20150830T123600Z";
const std::string empty_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// A vector's .req: Host first, the vector's own headers, X-Amz-Date last, empty body.
signing_request suite_request(std::string method, std::string uri, fields query = {},
                              const fields& extra_headers = {}) {
    signing_request req{.method = std::move(method),
                        .canonical_uri = std::move(uri),
                        .query = std::move(query),
                        .headers = {{"Host", "example.amazonaws.com"}},
                        .payload_hash = empty_hash};
    req.headers.insert(req.headers.end(), extra_headers.begin(), extra_headers.end());
    req.headers.emplace_back("X-Amz-Date", std::string(suite_date));
    return req;
}

std::string suite_sts(std::string_view canonical_request_hash) {
    return "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" +
           std::string(canonical_request_hash);
}

std::string suite_authz(std::string_view signed_headers, std::string_view signature) {
    return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
           "SignedHeaders=" +
           std::string(signed_headers) + ", Signature=" + std::string(signature);
}

std::string authz(const signing_request& req, const credentials& creds = suite_credentials) {
    return authorization_header(req, suite_date, suite_scope, creds);
}

// The session token of aws-sig-v4-test-suite/post-sts-token.
const std::string suite_session_token =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSP"
    "fIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT"
    "7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKml"
    "zm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

std::chrono::system_clock::time_point utc(std::chrono::year_month_day day, int h, int m, int s) {
    return std::chrono::sys_days{day} + std::chrono::hours{h} + std::chrono::minutes{m} +
           std::chrono::seconds{s};
}

}  // namespace

TEST_CASE("amz_date formats UTC basic ISO 8601, truncated to the second") {
    using namespace std::chrono;
    CHECK(amz_date(utc(2015y / August / 30, 12, 36, 0)) == "20150830T123600Z");
    CHECK(amz_date(utc(2013y / May / 24, 0, 0, 0)) == "20130524T000000Z");
    CHECK(amz_date(system_clock::time_point{}) == "19700101T000000Z");
    CHECK(amz_date(utc(2024y / February / 29, 23, 59, 59) + milliseconds{999}) ==
          "20240229T235959Z");
}

TEST_CASE("signing_key: the AWS General Reference derivation example") {
    // "Examples of how to derive a signing key for Signature Version 4": kSigning for
    // 20120215 / us-east-1 / iam.
    const std::string key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                        signing_scope{.region = "us-east-1", .service = "iam"});
    CHECK(hex(key) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST_CASE("aws-sig-v4-test-suite get-vanilla") {
    const signing_request req = suite_request("GET", "/");
    CHECK(string_to_sign(req, suite_date, suite_scope) ==
          suite_sts("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"));
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date",
                      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

TEST_CASE("aws-sig-v4-test-suite get-vanilla-query-order-key-case") {
    const signing_request req =
        suite_request("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}});
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date",
                      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
}

TEST_CASE("aws-signing-test-suite v4 get-vanilla-query-order-key-case, query-signing variant") {
    // aws-c-auth query-canonical-request.txt / query-string-to-sign.txt: the presigned form puts
    // the X-Amz-* parameters in the query, which exercises '/' encoding in query values.
    const signing_request req{
        .method = "GET",
        .canonical_uri = "/",
        .query = {{"Param2", "value2"},
                  {"Param1", "value1"},
                  {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                  {"X-Amz-Credential", "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"},
                  {"X-Amz-Date", "20150830T123600Z"},
                  {"X-Amz-SignedHeaders", "host"}},
        .headers = {{"Host", "example.amazonaws.com"}},
        .payload_hash = empty_hash};
    CHECK(canonical_request(req) ==
          "GET\n/\nParam1=value1&Param2=value2&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
          "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&"
          "X-Amz-SignedHeaders=host\nhost:example.amazonaws.com\n\nhost\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(string_to_sign(req, suite_date, suite_scope) ==
          suite_sts("eb1512f5ed1470925b7b1072c2108953680032d6bc3ccbef8eb7c6fdf1639827"));
}

TEST_CASE("aws-sig-v4-test-suite get-vanilla-query-order-value") {
    const signing_request req =
        suite_request("GET", "/", {{"Param1", "value2"}, {"Param1", "value1"}});
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date",
                      "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"));
}

TEST_CASE("aws-sig-v4-test-suite get-vanilla-empty-query-key") {
    const signing_request req = suite_request("GET", "/", {{"Param1", "value1"}});
    CHECK(string_to_sign(req, suite_date, suite_scope) ==
          suite_sts("1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab"));
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date",
                      "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"));
}

TEST_CASE("aws-sig-v4-test-suite get-utf8") {
    // The path "/ሴ" as sent on the wire; S3-style single encoding.
    const signing_request req = suite_request("GET", "/%E1%88%B4");
    CHECK(canonical_request(req) ==
          "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
          "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date",
                      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"));
}

TEST_CASE("aws-sig-v4-test-suite get-vanilla-utf8-query") {
    const signing_request req = suite_request("GET", "/", {{"\xE1\x88\xB4", "bar"}});
    CHECK(string_to_sign(req, suite_date, suite_scope) ==
          suite_sts("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"));
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date",
                      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"));
}

TEST_CASE("aws-sig-v4-test-suite get-header-value-trim") {
    // The .req lines are "My-Header1: value1" and "My-Header2: \"a   b   c\"".
    const signing_request req = suite_request(
        "GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", R"( "a   b   c")"}});
    CHECK(canonical_request(req) ==
          "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
          "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(string_to_sign(req, suite_date, suite_scope) ==
          suite_sts("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"));
    CHECK(authz(req) ==
          suite_authz("host;my-header1;my-header2;x-amz-date",
                      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
}

TEST_CASE("aws-sig-v4-test-suite get-header-value-order: repeated names keep their order") {
    const signing_request req = suite_request("GET", "/", {},
                                              {{"My-Header1", "value4"},
                                               {"My-Header1", "value1"},
                                               {"My-Header1", "value3"},
                                               {"My-Header1", "value2"}});
    CHECK(canonical_request(req) ==
          "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\n"
          "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(authz(req) ==
          suite_authz("host;my-header1;x-amz-date",
                      "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"));
}

TEST_CASE("aws-sig-v4-test-suite post-vanilla") {
    const signing_request req = suite_request("POST", "/");
    CHECK(string_to_sign(req, suite_date, suite_scope) ==
          suite_sts("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"));
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date",
                      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
}

TEST_CASE("aws-sig-v4-test-suite post-vanilla-empty-query-value") {
    const signing_request req = suite_request("POST", "/", {{"Param1", "value1"}});
    CHECK(canonical_request(req) ==
          "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
          "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date",
                      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"));
}

TEST_CASE("aws-sig-v4-test-suite post-header-key-sort") {
    const signing_request req = suite_request("POST", "/", {}, {{"My-Header1", "value1"}});
    CHECK(canonical_request(req) ==
          "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\n"
          "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(string_to_sign(req, suite_date, suite_scope) ==
          suite_sts("9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65"));
    CHECK(authz(req) ==
          suite_authz("host;my-header1;x-amz-date",
                      "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"));
}

TEST_CASE("aws-sig-v4-test-suite post-vanilla-query-nonunreserved") {
    // Request line "POST /?@#$%^&+=/,?><`\";:\\|][{} HTTP/1.1": two parameters, decoded.
    const signing_request req =
        suite_request("POST", "/", {{"@#$%^", ""}, {"+", R"(/,?><`";:\|][{})"}});
    CHECK(canonical_request(req) ==
          "POST\n/\n%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D&%40%23%24%25%5E=\n"
          "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(string_to_sign(req, suite_date, suite_scope) ==
          suite_sts("13c1a9775a543ebd153fdebba799dc0572ea298c6aac14eb1a86998b980c2a34"));
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date",
                      "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"));
}

TEST_CASE("aws-sig-v4-test-suite post-vanilla-query-space: canonical request") {
    const signing_request req = suite_request("POST", "/", {{"p aram1", "val ue1"}});
    CHECK(canonical_request(req) ==
          "POST\n/\np%20aram1=val%20ue1\nhost:example.amazonaws.com\n"
          "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("aws-sig-v4-test-suite post-sts-token/post-sts-header-before") {
    const signing_request req =
        suite_request("POST", "/", {}, {{"X-Amz-Security-Token", suite_session_token}});
    CHECK(string_to_sign(req, suite_date, suite_scope) ==
          suite_sts("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"));
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date;x-amz-security-token",
                      "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
}

TEST_CASE("aws-signing-test-suite v4 get-vanilla-with-session-token") {
    // aws-c-auth: the token is signed (x-amz-security-token among the signed headers).
    const std::string token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    const signing_request req = suite_request("GET", "/", {}, {{"X-Amz-Security-Token", token}});
    CHECK(authz(req) ==
          suite_authz("host;x-amz-date;x-amz-security-token",
                      "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"));
}

TEST_CASE("S3 API Reference example: GET Object with Range, signed through sign()") {
    using namespace std::chrono;
    const credentials creds{.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                            .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                            .session_token = {}};
    const signing_scope scope{.region = "us-east-1", .service = "s3"};
    signing_request req{
        .method = "GET",
        .canonical_uri = "/test.txt",
        .query = {},
        .headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}},
        .payload_hash = sha256_hex("")};
    const std::string authorization = sign(req, utc(2013y / May / 24, 0, 0, 0), scope, creds);

    CHECK(canonical_request(req) ==
          "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
          "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
          "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(string_to_sign(req, "20130524T000000Z", scope) ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
          "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    // The documentation writes the header without spaces after the commas; AWS accepts both
    // and the SDKs send ", ".
    CHECK(authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
          "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("sign() adds x-amz-date and x-amz-content-sha256, once, even when signed again") {
    using namespace std::chrono;
    signing_request req{.method = "PUT",
                        .canonical_uri = "/bucket/key",
                        .query = {},
                        .headers = {{"host", "127.0.0.1:9000"}},
                        .payload_hash = "UNSIGNED-PAYLOAD"};
    const signing_scope scope{.region = "us-east-1"};
    const credentials creds{
        .access_key_id = "AKID", .secret_access_key = "SECRET", .session_token = {}};

    const std::string first = sign(req, utc(2015y / August / 30, 12, 36, 0), scope, creds);
    const std::string second = sign(req, utc(2015y / August / 30, 12, 37, 0), scope, creds);

    CHECK(req.headers == fields{{"host", "127.0.0.1:9000"},
                                {"x-amz-date", "20150830T123700Z"},
                                {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}});
    CHECK(first != second);
    CHECK(second == authorization_header(req, "20150830T123700Z", scope, creds));
    CHECK(second.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date,") != std::string::npos);
    CHECK(second.find("/20150830/us-east-1/s3/aws4_request,") != std::string::npos);
}

TEST_CASE("sign() signs the session token of temporary credentials") {
    using namespace std::chrono;
    signing_request req = suite_request("POST", "/");
    std::erase_if(req.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
    credentials creds = suite_credentials;
    creds.session_token = suite_session_token;

    const std::string authorization =
        sign(req, utc(2015y / August / 30, 12, 36, 0), suite_scope, creds);

    CHECK(req.headers == fields{{"Host", "example.amazonaws.com"},
                                {"x-amz-date", "20150830T123600Z"},
                                {"x-amz-content-sha256", empty_hash},
                                {"x-amz-security-token", suite_session_token}});
    CHECK(authorization.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                             "x-amz-security-token,") != std::string::npos);
    CHECK(authorization == authz(req, creds));
}

TEST_CASE("no signer output contains the secret key") {
    using namespace std::chrono;
    const std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    signing_request req = suite_request("GET", "/", {{"Param1", "value1"}});
    const std::string authorization =
        sign(req, utc(2015y / August / 30, 12, 36, 0), suite_scope, suite_credentials);
    CHECK(authorization.find(secret) == std::string::npos);
    CHECK(canonical_request(req).find(secret) == std::string::npos);
    CHECK(string_to_sign(req, suite_date, suite_scope).find(secret) == std::string::npos);
    for (const auto& [name, value] : req.headers) {
        CHECK(value.find(secret) == std::string::npos);
    }
}

TEST_CASE("canonical_request: tabs and line breaks count as whitespace; empty path is '/'") {
    signing_request req{.method = "GET",
                        .canonical_uri = "",
                        .query = {},
                        .headers = {{"X-Custom", "\t a \t\t b  "}, {"host", "h"}},
                        .payload_hash = "UNSIGNED-PAYLOAD"};
    CHECK(canonical_request(req) ==
          "GET\n/\n\nhost:h\nx-custom:a b\n\nhost;x-custom\nUNSIGNED-PAYLOAD");
}
