#include "s3/xml.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <ostream>  // doctest prints std::error_code through it
#include <string>
#include <vector>

namespace {

using mps3::errc;
using mps3::s3::list_page;
using mps3::s3::detail::parse_error_body;
using mps3::s3::detail::parse_list_objects_v2;
using mps3::s3::detail::url_decode;

std::vector<std::string> keys_of(const list_page& page) {
    std::vector<std::string> keys;
    for (const auto& object : page.objects) {
        keys.push_back(object.key);
    }
    return keys;
}

/// One <Contents> per key, keys written exactly as given (already escaped for XML).
std::string listing_with_raw_keys(const std::vector<std::string>& raw_keys) {
    std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                      R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
                      "<Name>b</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
                      "<IsTruncated>false</IsTruncated>";
    for (const auto& key : raw_keys) {
        xml += "<Contents><Key>" + key +
               "</Key><LastModified>2026-11-23T13:40:51.000Z</LastModified>"
               "<ETag>&quot;0&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass>"
               "</Contents>";
    }
    return xml + "</ListBucketResult>";
}

// Captured from AWS S3 (names changed): one line, entities for the ETag quotes.
constexpr const char* aws_response =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>mps3-test</Name><Prefix>manifest@</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>manifest@01J9ZK6V8D0000000000000000</Key><LastModified>2026-11-23T13:40:51.921Z</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>manifest@01J9ZK6V8E0000000000000001</Key><LastModified>2026-11-23T13:40:52.002Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592-2&quot;</ETag><Size>10485760</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>)";

// Ceph RGW: owner and type per object, KeyCount after the contents, ContinuationToken echoed.
constexpr const char* rgw_response =
    R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix>a/</Prefix><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><ContinuationToken>YS8x</ContinuationToken><NextContinuationToken>YS8z</NextContinuationToken><Contents><Key>a/1</Key><LastModified>2026-11-23T13:40:51.921Z</LastModified><ETag>&quot;c4ca4238a0b923820dcc509a6f75849b&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass><Owner><ID>tester</ID><DisplayName>Tester</DisplayName></Owner><Type>Normal</Type></Contents><Contents><Key>a/2</Key><LastModified>2026-11-23T13:40:52.000Z</LastModified><ETag>&quot;c81e728d9d4c2f636f067f89cc14862c&quot;</ETag><Size>22</Size><StorageClass>STANDARD</StorageClass><Owner><ID>tester</ID><DisplayName>Tester</DisplayName></Owner><Type>Normal</Type></Contents><KeyCount>2</KeyCount></ListBucketResult>)";

// s3rver (xmlbuilder): pretty-printed, bare quotes in the ETag, <Prefix/> self-closed.
constexpr const char* s3rver_response = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>a/b/c.json</Key>
    <LastModified>2026-11-23T13:40:51.921Z</LastModified>
    <ETag>"e80b5017098950fc58aad83c8c14978e"</ETag>
    <Size>12</Size>
    <StorageClass>STANDARD</StorageClass>
    <Owner>
      <ID>123456789000</ID>
      <DisplayName>S3rver</DisplayName>
    </Owner>
  </Contents>
  <CommonPrefixes>
    <Prefix>a/d/</Prefix>
  </CommonPrefixes>
  <Name>bucket</Name>
  <Prefix/>
  <MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter>
  <KeyCount>2</KeyCount>
</ListBucketResult>
)";

}  // namespace

TEST_CASE("ListObjectsV2: an AWS response") {
    auto page = parse_list_objects_v2(aws_response);
    REQUIRE(page);
    CHECK_FALSE(page->is_truncated);
    CHECK(page->next_continuation_token.empty());
    CHECK(page->common_prefixes.empty());
    REQUIRE(page->objects.size() == 2);
    const auto& first = page->objects[0];
    CHECK(first.key == "manifest@01J9ZK6V8D0000000000000000");
    CHECK(first.last_modified == "2026-11-23T13:40:51.921Z");
    REQUIRE(first.last_modified_time);
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(
              first.last_modified_time->time_since_epoch())
              .count() == 1795441251921);
    CHECK(first.etag == "\"d41d8cd98f00b204e9800998ecf8427e\"");
    CHECK(first.size == 0);
    CHECK(page->objects[1].etag == "\"5d41402abc4b2a76b9719d911017c592-2\"");
    CHECK(page->objects[1].size == 10485760);
    CHECK(page->meta.status == 0);  // left for the caller
}

TEST_CASE("ListObjectsV2: a truncated RGW page with a continuation token") {
    auto page = parse_list_objects_v2(rgw_response);
    REQUIRE(page);
    CHECK(page->is_truncated);
    CHECK(page->next_continuation_token == "YS8z");
    CHECK(keys_of(*page) == std::vector<std::string>{"a/1", "a/2"});
    CHECK(page->objects[1].size == 22);
}

TEST_CASE("ListObjectsV2: a pretty-printed s3rver response with common prefixes") {
    auto page = parse_list_objects_v2(s3rver_response);
    REQUIRE(page);
    CHECK_FALSE(page->is_truncated);
    REQUIRE(page->objects.size() == 1);
    CHECK(page->objects[0].key == "a/b/c.json");
    CHECK(page->objects[0].etag == "\"e80b5017098950fc58aad83c8c14978e\"");
    CHECK(page->objects[0].size == 12);
    CHECK(page->objects[0].last_modified_time);
    CHECK(page->common_prefixes == std::vector<std::string>{"a/d/"});
}

TEST_CASE("ListObjectsV2: several common prefixes, no contents") {
    auto page = parse_list_objects_v2(
        R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
        "<Name>b</Name><Prefix></Prefix><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>"
        "<CommonPrefixes><Prefix>x/</Prefix></CommonPrefixes>"
        "<CommonPrefixes><Prefix>y &amp; z/</Prefix></CommonPrefixes>"
        "<CommonPrefixes><Prefix> /</Prefix></CommonPrefixes></ListBucketResult>");
    REQUIRE(page);
    CHECK(page->objects.empty());
    CHECK(page->common_prefixes == std::vector<std::string>{"x/", "y & z/", " /"});
}

TEST_CASE("ListObjectsV2: keys survive escaping exactly") {
    struct sample {
        const char* xml;
        const char* key;
    };
    for (const sample s : {
             sample{"&amp;$@=;  :+,?", "&$@=;  :+,?"},
             sample{"&amp;lt", "&lt"},
             sample{"&lt;![CDATA[...]]&gt;", "<![CDATA[...]]>"},
             sample{R"(\{^}%\]&quot;&gt;[~#|)", R"(\{^}%\]">[~#|)"},
             sample{R"(\{^}%\]">[~#|)", R"(\{^}%\]">[~#|)"},  // '"' and '>' need no escape
             sample{"foo&lt;Contents&gt;", "foo<Contents>"},
             sample{"foo&lt;/Key&gt;&lt;/Contents&gt;", "foo</Key></Contents>"},
             sample{"a/b/c.json", "a/b/c.json"},
             sample{"données/日本語/🙂", "données/日本語/🙂"},
             sample{"&#x1F642;&#233;&#x4E2D;", "🙂é中"},
             sample{"&apos;quoted&apos;", "'quoted'"},
             sample{"<![CDATA[x<y&z]]>", "x<y&z"},
             sample{"a<![CDATA[<b>]]>c", "a<b>c"},
             sample{" ", " "},
             sample{"  ", "  "},
             sample{"  lead", "  lead"},
             sample{"trail  ", "trail  "},
             sample{"double  space", "double  space"},
             sample{"tab\there", "tab\there"},
             sample{"line&#10;break", "line\nbreak"},
             sample{"cr&#13;", "cr\r"},
         }) {
        const std::string shown = s.xml;  // CAPTURE prints a const char* as a pointer
        CAPTURE(shown);
        auto page = parse_list_objects_v2(listing_with_raw_keys({s.xml}));
        REQUIRE(page);
        REQUIRE(page->objects.size() == 1);
        CHECK(page->objects[0].key == s.key);
    }
}

TEST_CASE("ListObjectsV2: many keys keep their order") {
    auto page =
        parse_list_objects_v2(listing_with_raw_keys({"foo&lt;Contents&gt;", "&amp;lt", "  ", "z"}));
    REQUIRE(page);
    CHECK(keys_of(*page) == std::vector<std::string>{"foo<Contents>", "&lt", "  ", "z"});
}

TEST_CASE("ListObjectsV2: namespace prefixes and no namespace") {
    auto prefixed = parse_list_objects_v2(
        R"(<s3:ListBucketResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">)"
        "<s3:IsTruncated>true</s3:IsTruncated><s3:NextContinuationToken>t</"
        "s3:NextContinuationToken>"
        "<s3:Contents><s3:Key>k</s3:Key><s3:Size>5</s3:Size></s3:Contents>"
        "<s3:CommonPrefixes><s3:Prefix>p/</s3:Prefix></s3:CommonPrefixes></s3:ListBucketResult>");
    REQUIRE(prefixed);
    CHECK(prefixed->is_truncated);
    CHECK(prefixed->next_continuation_token == "t");
    CHECK(keys_of(*prefixed) == std::vector<std::string>{"k"});
    CHECK(prefixed->objects[0].size == 5);
    CHECK(prefixed->common_prefixes == std::vector<std::string>{"p/"});

    auto bare = parse_list_objects_v2(
        "<ListBucketResult><Contents><Key>k</Key></Contents>"
        "</ListBucketResult>");
    REQUIRE(bare);
    CHECK(keys_of(*bare) == std::vector<std::string>{"k"});
    CHECK(bare->objects[0].size == 0);
    CHECK_FALSE(bare->objects[0].last_modified_time);
}

TEST_CASE("ListObjectsV2: EncodingType=url decodes keys and prefixes") {
    auto page = parse_list_objects_v2(
        R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
        "<Name>b</Name><Prefix>a%2F</Prefix><StartAfter>a%2F0</StartAfter>"
        "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
        "NextContinuationToken>"
        "<Contents><Key>a%2F%26%24%40%3D%3B++%3A%2B%2C%3F</Key><Size>1</Size></Contents>"
        "<Contents><Key>a%2F%F0%9F%99%82%0A</Key><Size>2</Size></Contents>"
        "<CommonPrefixes><Prefix>a%2Fd+x%2F</Prefix></CommonPrefixes></ListBucketResult>");
    REQUIRE(page);
    CHECK(keys_of(*page) == std::vector<std::string>{"a/&$@=;  :+,?", "a/🙂\n"});
    CHECK(page->common_prefixes == std::vector<std::string>{"a/d x/"});
    // The token is opaque: never decoded.
    CHECK(page->next_continuation_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

    auto without = parse_list_objects_v2(listing_with_raw_keys({"a%2Fb+c"}));
    REQUIRE(without);
    CHECK(without->objects[0].key == "a%2Fb+c");  // no EncodingType: taken literally

    auto bad = parse_list_objects_v2(
        "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>a%G1</Key></Contents>"
        "</ListBucketResult>");
    REQUIRE_FALSE(bad);
    CHECK(bad.err().code == errc::bad_response);
}

TEST_CASE("url_decode") {
    CHECK(url_decode("") == "");
    CHECK(url_decode("plain") == "plain");
    CHECK(url_decode("a+b") == "a b");
    CHECK(url_decode("%2B%2b%20%25") == "++ %");
    CHECK(url_decode("%00") == std::string(1, '\0'));
    CHECK(url_decode("%C3%A9") == "é");
    CHECK_FALSE(url_decode("%"));
    CHECK_FALSE(url_decode("%2"));
    CHECK_FALSE(url_decode("abc%"));
    CHECK_FALSE(url_decode("%zz"));
    CHECK_FALSE(url_decode("%-1"));
}

TEST_CASE("ListObjectsV2: malformed responses are bad_response with a reason") {
    struct sample {
        const char* xml;
        const char* reason;
    };
    for (const sample s : {
             sample{"", "empty"},
             sample{"not xml at all", "not valid XML"},
             sample{"  \n", "no root element"},
             sample{"<!-- only a comment -->", "no root element"},
             sample{"<ListBucketResult>", "not valid XML"},
             sample{"<ListBucketResult/><ListBucketResult/>", "2 root elements"},
             sample{"<ListBucketResult></ListBucketResult>trailing", "text outside"},
             sample{"<ListBucketResult><Contents><Key>k</Key>", "not valid XML"},
             sample{"<html><body>502 Bad Gateway</body></html>", "got <html>"},
             sample{"<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>",
                    "NoSuchBucket: gone"},
             sample{"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
                    "no <Key>"},
             sample{"<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents>"
                    "</ListBucketResult>",
                    "Size '-1'"},
             sample{"<ListBucketResult><Contents><Key>k</Key><Size>12x</Size></Contents>"
                    "</ListBucketResult>",
                    "Size '12x'"},
             sample{"<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999</Size>"
                    "</Contents></ListBucketResult>",
                    "Size"},
             sample{"<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
                    "IsTruncated"},
         }) {
        const std::string shown = s.xml;  // CAPTURE prints a const char* as a pointer
        CAPTURE(shown);
        auto page = parse_list_objects_v2(s.xml);
        REQUIRE_FALSE(page);
        CHECK(page.err().code == errc::bad_response);
        CHECK(page.err().message.starts_with("ListObjectsV2 response: "));
        CHECK(page.err().message.find(s.reason) != std::string::npos);
    }
}

TEST_CASE("ListObjectsV2: a bare '&' is tolerated as pugixml does") {
    auto page = parse_list_objects_v2(
        "<ListBucketResult><Contents><Key>a&b &c;</Key></Contents></ListBucketResult>");
    REQUIRE(page);
    CHECK(page->objects[0].key == "a&b &c;");
}

TEST_CASE("ListObjectsV2: an unreadable LastModified keeps the object") {
    auto page = parse_list_objects_v2(
        "<ListBucketResult><Contents><Key>k</Key><LastModified>yesterday</LastModified>"
        "</Contents></ListBucketResult>");
    REQUIRE(page);
    CHECK(page->objects[0].last_modified == "yesterday");
    CHECK_FALSE(page->objects[0].last_modified_time);
}

TEST_CASE("error bodies: S3 <Error> documents") {
    auto no_such_key = parse_error_body(
        R"(<?xml version="1.0" encoding="UTF-8"?>)"
        "\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        "<Key>manifest@x</Key><RequestId>4442587FB7D0A2F9</RequestId>"
        "<HostId>h0stId=</HostId></Error>");
    REQUIRE(no_such_key);
    CHECK(no_such_key->code == "NoSuchKey");
    CHECK(no_such_key->message == "The specified key does not exist.");
    CHECK(no_such_key->request_id == "4442587FB7D0A2F9");
    CHECK(no_such_key->resource.empty());

    auto signature = parse_error_body(
        R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>SignatureDoesNotMatch</Code>
  <Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>
  <Resource>/bucket/a%20b</Resource>
  <RequestId>17E6C4B5A0A1B2C3</RequestId>
  <HostId>dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8</HostId>
</Error>)");
    REQUIRE(signature);
    CHECK(signature->code == "SignatureDoesNotMatch");
    CHECK(signature->message.starts_with("The request signature we calculated"));
    CHECK(signature->resource == "/bucket/a%20b");
    CHECK(signature->request_id == "17E6C4B5A0A1B2C3");

    auto namespaced = parse_error_body(
        R"(<Error xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Code>SlowDown</Code>)"
        "<Message>Please reduce your request rate &amp; retry.</Message></Error>");
    REQUIRE(namespaced);
    CHECK(namespaced->code == "SlowDown");
    CHECK(namespaced->message == "Please reduce your request rate & retry.");

    auto wrapped = parse_error_body(
        "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error>"
        "<RequestId>r1</RequestId></ErrorResponse>");
    REQUIRE(wrapped);
    CHECK(wrapped->code == "AccessDenied");

    auto no_code = parse_error_body("<Error><Message>m</Message></Error>");
    REQUIRE(no_code);
    CHECK(no_code->code.empty());
    CHECK(no_code->message == "m");
}

TEST_CASE("error bodies: anything else is nullopt, never a crash") {
    for (const char* body : {
             "",
             " ",
             "garbage",
             "\xff\xfe\x00\x01",
             "<",
             "<Error>",
             "<Error><Code>x</Code>",
             "{\"error\":\"json\"}",
             "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
             "<body><h1>Bad Gateway</h1></body></html>",
             "<html><body><Error><Code>x</Code></Error></body></html>",
             "<ListBucketResult></ListBucketResult>",
             "<ErrorResponse><Other/></ErrorResponse>",
         }) {
        const std::string shown = body;  // CAPTURE prints a const char* as a pointer
        CAPTURE(shown);
        CHECK_FALSE(parse_error_body(body));
    }
    std::string deep;
    for (int i = 0; i < 100000; ++i) {
        deep += "<a>";
    }
    CHECK_FALSE(parse_error_body(deep));
}
