// The AWS config file (~/.aws/config), where endpoints and regions come from, and how buckets
// are addressed.
#include "aws_test_dir.hpp"

#include "s3/request_builder.hpp"

#include <mps3/s3/aws_config.hpp>
#include <mps3/s3/endpoint.hpp>

#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code through it
#include <string>

namespace {

using namespace mps3::s3;
using mps3::test::aws_test_dir;

const std::string sample_config =
    "[default]\n"
    "region = us-west-2\n"
    "\n"
    "[profile dev]\n"
    "region = eu-west-1\n"
    "endpoint_url = http://profile-endpoint:9000\n"
    "services = local-s3\n"
    "s3 =\n"
    "  addressing_style = virtual\n"
    "\n"
    "[dev]\n"  // not a profile in the config file: the CLI ignores it
    "region = ignored-1\n"
    "\n"
    "[sso-session corp]\n"
    "sso_region = ignored-2\n"
    "\n"
    "[services local-s3]\n"
    "s3 =\n"
    "  endpoint_url = http://service-endpoint:9100\n"
    "  addressing_style = path\n"
    "dynamodb =\n"
    "  endpoint_url = http://dynamo:8000\n"
    "\n"
    "[services other]\n"
    "s3 =\n"
    "  endpoint_url = http://other:1\n";

aws_config config_of(const std::string& text, const std::string& profile) {
    aws_config c;
    c.path = "/home/me/.aws/config";
    c.profile = profile;
    c.settings = parse_aws_profile(text, profile, aws_file::config);
    return c;
}

}  // namespace

TEST_CASE("aws config: [profile NAME] and [default], services sections, sso-session ignored") {
    const auto dev = parse_aws_profile(sample_config, "dev", aws_file::config);
    CHECK(dev.found);
    CHECK(dev.value("region") == "eu-west-1");
    CHECK(dev.value("endpoint_url") == "http://profile-endpoint:9000");
    CHECK(dev.s3.at("addressing_style") == "virtual");
    CHECK(dev.services_s3.at("endpoint_url") == "http://service-endpoint:9100");
    CHECK(dev.services_s3.at("addressing_style") == "path");

    const auto def = parse_aws_profile(sample_config, "", aws_file::config);
    CHECK(def.found);
    CHECK(def.value("region") == "us-west-2");
    CHECK(def.services_s3.empty());

    CHECK_FALSE(parse_aws_profile(sample_config, "corp", aws_file::config).found);
    CHECK_FALSE(parse_aws_profile("[dev]\nregion = x\n", "dev", aws_file::config).found);
    // The credentials file names profiles without the "profile " prefix.
    CHECK(parse_aws_profile("[dev]\nregion = x\n", "dev", aws_file::credentials).found);
    // [profile default] is the default profile too.
    CHECK(parse_aws_profile("[profile default]\nregion = y\n", "default", aws_file::config)
              .value("region") == "y");
}

TEST_CASE("aws config: AWS_CONFIG_FILE, else ~/.aws/config; a missing file is an empty one") {
    const aws_test_dir dir;
    (void)dir.write(".aws/config", "[default]\nregion = from-home\n");
    const std::string other = dir.write("other.ini", "[profile p]\nregion = from-variable\n");

    auto from_home = load_aws_config("", {{"HOME", dir.path()}});
    REQUIRE(from_home);
    CHECK(from_home->path == dir.path() + "/.aws/config");
    CHECK(from_home->settings.value("region") == "from-home");

    auto from_variable = load_aws_config(
        "", {{"HOME", dir.path()}, {"AWS_CONFIG_FILE", "~/other.ini"}, {"AWS_PROFILE", "p"}});
    REQUIRE(from_variable);
    CHECK(from_variable->profile == "p");
    CHECK(from_variable->settings.value("region") == "from-variable");

    auto missing = load_aws_config("", {{"AWS_CONFIG_FILE", dir.path() + "/nope"}});
    REQUIRE(missing);
    CHECK_FALSE(missing->settings.found);

    auto directory = load_aws_config("", {{"AWS_CONFIG_FILE", dir.path()}});
    REQUIRE_FALSE(directory);
    CHECK(directory.err().message.find(dir.path()) != std::string::npos);
}

TEST_CASE(
    "endpoint precedence: flag > AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL > services > profile") {
    const auto dev = config_of(sample_config, "dev");
    const environment both{{"AWS_ENDPOINT_URL_S3", "http://env-s3:1"},
                           {"AWS_ENDPOINT_URL", "http://env-all:2"}};

    auto explicit_url = resolve_endpoint("http://flag:3", "", both, dev);
    REQUIRE(explicit_url);
    CHECK(explicit_url->host == "flag");
    auto s3_variable = resolve_endpoint("", "", both, dev);
    REQUIRE(s3_variable);
    CHECK(s3_variable->host == "env-s3");
    auto all_variable = resolve_endpoint("", "", {{"AWS_ENDPOINT_URL", "http://env-all:2"}}, dev);
    REQUIRE(all_variable);
    CHECK(all_variable->host == "env-all");
    auto services = resolve_endpoint("", "", {}, dev);
    REQUIRE(services);
    CHECK(services->host == "service-endpoint");
    CHECK(services->port == 9100);

    auto profile_only = config_of(sample_config, "dev");
    profile_only.settings.services_s3.clear();
    auto from_profile = resolve_endpoint("", "", {}, profile_only);
    REQUIRE(from_profile);
    CHECK(from_profile->host == "profile-endpoint");

    // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: every configured URL but the explicit one ignored.
    auto ignored = resolve_endpoint(
        "", "",
        {{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}, {"AWS_ENDPOINT_URL", "http://env-all:2"}},
        dev);
    REQUIRE(ignored);
    CHECK(ignored->host == "s3.eu-west-1.amazonaws.com");
    auto still_explicit = resolve_endpoint("http://flag:3", "",
                                           {{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}}, dev);
    REQUIRE(still_explicit);
    CHECK(still_explicit->host == "flag");

    // Nothing configured anywhere: AWS itself.
    auto aws = resolve_endpoint("", "", {}, config_of(sample_config, "default"));
    REQUIRE(aws);
    CHECK(aws->host == "s3.us-west-2.amazonaws.com");
}

TEST_CASE("region precedence: flag > AWS_REGION > AWS_DEFAULT_REGION > profile > us-east-1") {
    const auto dev = config_of(sample_config, "dev");
    const environment both{{"AWS_REGION", "env-region"}, {"AWS_DEFAULT_REGION", "env-default"}};
    CHECK(resolve_endpoint("", "flag-region", both, dev)->region == "flag-region");
    CHECK(resolve_endpoint("", "", both, dev)->region == "env-region");
    CHECK(resolve_endpoint("", "", {{"AWS_DEFAULT_REGION", "env-default"}}, dev)->region ==
          "env-default");
    CHECK(resolve_endpoint("", "", {}, dev)->region == "eu-west-1");
    CHECK(resolve_endpoint("", "", {}, aws_config{})->region == "us-east-1");

    // A bad value names where it came from.
    auto bad = resolve_endpoint("", "", {}, config_of("[default]\nregion = eu west\n", "default"));
    REQUIRE_FALSE(bad);
    CHECK(bad.err().message.find("region in profile 'default' of /home/me/.aws/config") !=
          std::string::npos);
    auto bad_url = resolve_endpoint("", "", {},
                                    config_of("[default]\nendpoint_url = minio:9000\n", "default"));
    REQUIRE_FALSE(bad_url);
    CHECK(bad_url.err().message.starts_with("endpoint_url in profile 'default'"));
}

TEST_CASE("addressing_style: auto, path, virtual") {
    CHECK(*parse_addressing_choice("auto") == addressing_choice::automatic);
    CHECK(*parse_addressing_choice("Path") == addressing_choice::path);
    CHECK(*parse_addressing_choice(" virtual ") == addressing_choice::virtual_hosted);
    auto bad = parse_addressing_choice("virtual-hosted");
    REQUIRE_FALSE(bad);
    CHECK(bad.err().message.find("auto, path or virtual") != std::string::npos);

    auto aws = *endpoint::parse("https://s3.eu-west-1.amazonaws.com");
    auto minio = *endpoint::parse("http://127.0.0.1:9000");
    const auto automatic = addressing_choice::automatic;
    // auto: virtual-hosted on AWS for a DNS-compatible name without dots...
    CHECK(choose_addressing(automatic, aws, "my-bucket") == addressing_style::virtual_hosted);
    // ...path style for a dotted name (no TLS wildcard covers it) or a legacy one...
    CHECK(choose_addressing(automatic, aws, "my.bucket") == addressing_style::path);
    CHECK(choose_addressing(automatic, aws, "My_Bucket") == addressing_style::path);
    // ...and always on other servers, as before.
    CHECK(choose_addressing(automatic, minio, "my-bucket") == addressing_style::path);
    // What is asked for is what is used.
    CHECK(choose_addressing(addressing_choice::virtual_hosted, minio, "b-1") ==
          addressing_style::virtual_hosted);
    CHECK(choose_addressing(addressing_choice::path, aws, "my-bucket") == addressing_style::path);
}

TEST_CASE("addressing_style: the request's host, Host header and target") {
    using mps3::s3::detail::prepare;
    using mps3::s3::detail::s3_request;
    const credentials creds{"AKID", "secret", "", std::nullopt};
    const s3_request get{.method = "GET", .bucket = "my-bucket", .key = "dir/a b.json"};

    auto aws = *endpoint::parse("https://s3.eu-west-1.amazonaws.com");
    aws.addressing = choose_addressing(addressing_choice::automatic, aws, get.bucket);
    auto hosted = prepare(get, aws, creds, clock::now());
    CHECK(hosted.host == "my-bucket.s3.eu-west-1.amazonaws.com");
    CHECK(hosted.host_header == "my-bucket.s3.eu-west-1.amazonaws.com");
    CHECK(hosted.target == "/dir/a%20b.json");

    s3_request dotted = get;
    dotted.bucket = "my.bucket";
    aws.addressing = choose_addressing(addressing_choice::automatic, aws, dotted.bucket);
    auto path = prepare(dotted, aws, creds, clock::now());
    CHECK(path.host == "s3.eu-west-1.amazonaws.com");
    CHECK(path.host_header == "s3.eu-west-1.amazonaws.com");
    CHECK(path.target == "/my.bucket/dir/a%20b.json");

    auto custom = *endpoint::parse("http://storage.local:9000");
    custom.addressing = choose_addressing(addressing_choice::virtual_hosted, custom, get.bucket);
    auto custom_hosted = prepare(get, custom, creds, clock::now());
    CHECK(custom_hosted.host == "my-bucket.storage.local");
    CHECK(custom_hosted.host_header == "my-bucket.storage.local:9000");
    CHECK(custom_hosted.target == "/dir/a%20b.json");
}
