#include <mps3/s3/endpoint.hpp>

#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code through it
#include <string>

namespace {

using mps3::errc;
using mps3::s3::addressing_style;
using mps3::s3::endpoint;
using mps3::s3::environment;
using mps3::s3::resolve_endpoint;

bool mentions(const mps3::result<endpoint>& r, const std::string& text) {
    return !r && r.err().message.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("endpoint::parse: schemes and default ports") {
    auto plain = endpoint::parse("http://127.0.0.1:9000");
    REQUIRE(plain);
    CHECK_FALSE(plain->tls);
    CHECK(plain->host == "127.0.0.1");
    CHECK(plain->port == 9000);
    CHECK(plain->region == "us-east-1");
    CHECK(plain->addressing == addressing_style::path);
    CHECK(plain->host_header() == "127.0.0.1:9000");

    auto http = endpoint::parse("http://minio");
    REQUIRE(http);
    CHECK(http->port == 80);
    CHECK(http->host_header() == "minio");

    auto https = endpoint::parse("HTTPS://Storage.Example.COM/");
    REQUIRE(https);
    CHECK(https->tls);
    CHECK(https->port == 443);
    CHECK(https->host == "storage.example.com");
    CHECK(https->host_header() == "storage.example.com");

    auto odd = endpoint::parse("https://s3_host-1.local:80");
    REQUIRE(odd);
    CHECK(odd->host == "s3_host-1.local");
    CHECK(odd->host_header() == "s3_host-1.local:80");  // 80 is not https's default

    auto http_443 = endpoint::parse("http://h:443");
    REQUIRE(http_443);
    CHECK(http_443->host_header() == "h:443");

    auto padded = endpoint::parse("  http://h:1  ");
    REQUIRE(padded);
    CHECK(padded->port == 1);
    auto top = endpoint::parse("http://h:65535/");
    REQUIRE(top);
    CHECK(top->port == 65535);
}

TEST_CASE("endpoint::parse: IPv6 literals") {
    auto local = endpoint::parse("http://[::1]:9000");
    REQUIRE(local);
    CHECK(local->host == "::1");
    CHECK(local->port == 9000);
    CHECK(local->host_header() == "[::1]:9000");

    auto no_port = endpoint::parse("https://[2001:DB8::10]/");
    REQUIRE(no_port);
    CHECK(no_port->host == "2001:db8::10");
    CHECK(no_port->port == 443);
    CHECK(no_port->host_header() == "[2001:db8::10]");

    auto mapped = endpoint::parse("http://[::ffff:192.0.2.1]:8080");
    REQUIRE(mapped);
    CHECK(mapped->host == "::ffff:192.0.2.1");

    CHECK(mentions(endpoint::parse("http://[::1:9000"), "unterminated"));
    CHECK(mentions(endpoint::parse("http://[]:9000"), "IPv6"));
    CHECK(mentions(endpoint::parse("http://[zz::1]"), "IPv6"));
    CHECK(mentions(endpoint::parse("http://[fe80::1%25eth0]"), "IPv6"));
    CHECK(mentions(endpoint::parse("http://[::1]9000"), "port"));
    CHECK(mentions(endpoint::parse("http://::1:9000"), "brackets"));
}

TEST_CASE("endpoint::parse: AWS host names carry their region") {
    auto regional = endpoint::parse("https://s3.eu-west-1.amazonaws.com");
    REQUIRE(regional);
    CHECK(regional->region == "eu-west-1");
    CHECK(regional->addressing == addressing_style::path);

    auto global = endpoint::parse("https://s3.amazonaws.com");
    REQUIRE(global);
    CHECK(global->region == "us-east-1");

    auto dualstack = endpoint::parse("https://s3.dualstack.ap-south-1.amazonaws.com");
    REQUIRE(dualstack);
    CHECK(dualstack->region == "ap-south-1");

    auto china = endpoint::parse("https://s3.cn-north-1.amazonaws.com.cn");
    REQUIRE(china);
    CHECK(china->region == "cn-north-1");

    auto other = endpoint::parse("https://bucket.s3.eu-west-1.example.com");
    REQUIRE(other);
    CHECK(other->region == "us-east-1");
}

TEST_CASE("endpoint::parse: clear rejections") {
    CHECK(endpoint::parse("").err().code == errc::invalid_argument);
    CHECK(mentions(endpoint::parse(""), "empty"));
    CHECK(mentions(endpoint::parse("localhost:9000"), "no scheme"));
    CHECK(mentions(endpoint::parse("ftp://host"), "unsupported scheme 'ftp'"));
    CHECK(mentions(endpoint::parse("s3://bucket"), "unsupported scheme 's3'"));
    CHECK(mentions(endpoint::parse("http://"), "no host"));
    CHECK(mentions(endpoint::parse("http:///"), "no host"));
    CHECK(mentions(endpoint::parse("http://:9000"), "invalid host"));
    CHECK(mentions(endpoint::parse("http://host/bucket"), "path ('/bucket')"));
    CHECK(mentions(endpoint::parse("http://host//"), "path"));
    CHECK(mentions(endpoint::parse("http://host?x=1"), "query"));
    CHECK(mentions(endpoint::parse("http://host/?x=1"), "query"));
    CHECK(mentions(endpoint::parse("http://host#frag"), "fragment"));
    CHECK(mentions(endpoint::parse("http://ho st"), "invalid host"));
    CHECK(mentions(endpoint::parse("http://host:"), "invalid port ':'"));
    CHECK(mentions(endpoint::parse("http://host:0"), "1 to 65535"));
    CHECK(mentions(endpoint::parse("http://host:65536"), "1 to 65535"));
    CHECK(mentions(endpoint::parse("http://host:123456"), "1 to 65535"));
    CHECK(mentions(endpoint::parse("http://host:-1"), "invalid port"));
    CHECK(mentions(endpoint::parse("http://host:9x"), "invalid port"));
    CHECK(mentions(endpoint::parse("http://host: 90"), "invalid port"));
}

TEST_CASE("endpoint::parse: user info is rejected without echoing it") {
    for (const char* url : {"http://user:hunter2@host:9000", "https://hunter2@host/",
                            "http://user:hunter2@[::1]:9000", "http://user:hun/ter2@host",
                            "user:hunter2@host:9000"}) {
        const std::string shown = url;  // CAPTURE prints a const char* as a pointer
        CAPTURE(shown);
        auto r = endpoint::parse(url);
        REQUIRE_FALSE(r);
        CHECK(r.err().code == errc::invalid_argument);
        CHECK(r.err().message.find("user info") != std::string::npos);
        CHECK(r.err().message.find("hunter2") == std::string::npos);
    }
}

TEST_CASE("resolve_endpoint: AWS by default, virtual-hosted") {
    auto aws = resolve_endpoint("", "", {});
    REQUIRE(aws);
    CHECK(aws->tls);
    CHECK(aws->host == "s3.us-east-1.amazonaws.com");
    CHECK(aws->port == 443);
    CHECK(aws->region == "us-east-1");
    CHECK(aws->addressing == addressing_style::virtual_hosted);

    auto default_region = resolve_endpoint("", "", {{"AWS_DEFAULT_REGION", "eu-central-1"}});
    REQUIRE(default_region);
    CHECK(default_region->host == "s3.eu-central-1.amazonaws.com");

    const environment both{{"AWS_REGION", "eu-west-3"}, {"AWS_DEFAULT_REGION", "eu-central-1"}};
    auto region_wins = resolve_endpoint("", "", both);
    REQUIRE(region_wins);
    CHECK(region_wins->region == "eu-west-3");
    CHECK(region_wins->host == "s3.eu-west-3.amazonaws.com");

    auto explicit_region = resolve_endpoint("", "ap-northeast-1", both);
    REQUIRE(explicit_region);
    CHECK(explicit_region->host == "s3.ap-northeast-1.amazonaws.com");

    auto china = resolve_endpoint("", "cn-northwest-1", {});
    REQUIRE(china);
    CHECK(china->host == "s3.cn-northwest-1.amazonaws.com.cn");

    auto empty_env = resolve_endpoint("", "", {{"AWS_REGION", ""}, {"AWS_ENDPOINT_URL", ""}});
    REQUIRE(empty_env);
    CHECK(empty_env->host == "s3.us-east-1.amazonaws.com");
}

TEST_CASE("resolve_endpoint: explicit URL, then AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL") {
    const environment env{{"AWS_ENDPOINT_URL_S3", "http://s3-specific:9000"},
                          {"AWS_ENDPOINT_URL", "http://generic:9000"},
                          {"AWS_REGION", "garage"}};
    auto explicit_url = resolve_endpoint("http://explicit:1234", "", env);
    REQUIRE(explicit_url);
    CHECK(explicit_url->host == "explicit");
    CHECK(explicit_url->region == "garage");
    CHECK(explicit_url->addressing == addressing_style::path);

    auto s3_specific = resolve_endpoint("", "", env);
    REQUIRE(s3_specific);
    CHECK(s3_specific->host == "s3-specific");

    auto generic = resolve_endpoint("", "local", {{"AWS_ENDPOINT_URL", "http://generic:9000"}});
    REQUIRE(generic);
    CHECK(generic->host == "generic");
    CHECK(generic->region == "local");

    // A region named by the AWS host name beats the us-east-1 default, not a configured region.
    auto aws_url = resolve_endpoint("https://s3.eu-west-1.amazonaws.com", "", {});
    REQUIRE(aws_url);
    CHECK(aws_url->region == "eu-west-1");
    auto configured = resolve_endpoint("https://s3.eu-west-1.amazonaws.com", "eu-west-2", {});
    REQUIRE(configured);
    CHECK(configured->region == "eu-west-2");
}

TEST_CASE("resolve_endpoint: errors name their source") {
    auto bad_env = resolve_endpoint("", "", {{"AWS_ENDPOINT_URL_S3", "minio:9000"}});
    REQUIRE_FALSE(bad_env);
    CHECK(bad_env.err().code == errc::invalid_argument);
    CHECK(bad_env.err().message.starts_with("AWS_ENDPOINT_URL_S3: "));

    auto bad_explicit = resolve_endpoint("minio:9000", "", {});
    REQUIRE_FALSE(bad_explicit);
    CHECK(bad_explicit.err().message.starts_with("endpoint URL"));

    auto bad_region = resolve_endpoint("", "", {{"AWS_REGION", "eu west"}});
    REQUIRE_FALSE(bad_region);
    CHECK(bad_region.err().message.find("AWS_REGION 'eu west'") != std::string::npos);

    auto not_aws_region = resolve_endpoint("", "my_region", {});
    REQUIRE_FALSE(not_aws_region);
    CHECK(not_aws_region.err().message.find("AWS region") != std::string::npos);
    CHECK(resolve_endpoint("http://minio:9000", "my_region", {}));
}
