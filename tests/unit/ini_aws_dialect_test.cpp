// The AWS dialect of the one INI reader (the mps3 dialect: daemon_config_test.cpp).
#include <mps3/ini.hpp>

#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code through it
#include <string>

namespace {

using mps3::ini::dialect;
using mps3::ini::parse;

}  // namespace

TEST_CASE("ini aws: headers, ':' or '=', lower-cased keys, values to the end of the line") {
    auto parsed = parse(
        "\xEF\xBB\xBF[profile dev]\n"
        "Region: eu-west-1\n"
        "credential_process = /bin/tool --arg \"a b\" # not a comment\n"
        "[default]\n"
        "region=us-east-2\n",
        dialect::aws);
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 2);
    const auto& dev = (*parsed)[0];
    CHECK(dev.header == "profile dev");
    CHECK(dev.kind == "profile");
    CHECK(dev.name == "dev");
    REQUIRE(dev.entries.size() == 2);
    CHECK(dev.entries[0].key == "region");
    CHECK(dev.entries[0].value == "eu-west-1");
    CHECK(dev.entries[1].value == "/bin/tool --arg \"a b\" # not a comment");
    CHECK((*parsed)[1].header == "default");
    CHECK((*parsed)[1].name.empty());
}

TEST_CASE("ini aws: indented lines under an empty value are its nested settings") {
    auto parsed = parse(
        "[services local]\n"
        "s3 =\n"
        "  endpoint_url = http://127.0.0.1:9000\n"
        "\tAddressing_Style = path\n"
        "dynamodb =\n"
        "  endpoint_url = http://127.0.0.1:8000\n"
        "[profile x]\n"
        "region = r\n"
        "  indented_after_a_value = kept as a key\n",
        dialect::aws);
    REQUIRE(parsed);
    const auto& services = (*parsed)[0];
    CHECK(services.kind == "services");
    CHECK(services.name == "local");
    REQUIRE(services.entries.size() == 2);
    CHECK(services.entries[0].key == "s3");
    REQUIRE(services.entries[0].nested.size() == 2);
    CHECK(services.entries[0].nested[0].key == "endpoint_url");
    CHECK(services.entries[0].nested[0].value == "http://127.0.0.1:9000");
    CHECK(services.entries[0].nested[1].key == "addressing_style");
    CHECK(services.entries[0].nested[1].value == "path");
    CHECK(services.entries[1].nested.size() == 1);
    const auto& profile = (*parsed)[1];
    REQUIRE(profile.entries.size() == 2);
    CHECK(profile.entries[1].key == "indented_after_a_value");
}

TEST_CASE("ini aws: what the CLI could not use is skipped, never an error") {
    auto parsed = parse(
        "orphan = before any section\n"
        "[broken\n"
        "aws_access_key_id = hidden\n"
        "a line without a delimiter\n"
        "= no key\n"
        "[ok]\n"
        "key = value\n",
        dialect::aws);
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 3);  // the orphans' section, the broken one, [ok]
    CHECK((*parsed)[0].kind.empty());
    CHECK((*parsed)[1].header.empty());  // matches no profile
    CHECK((*parsed)[1].entries.size() == 1);
    CHECK((*parsed)[2].header == "ok");
    CHECK((*parsed)[2].entries.size() == 1);
}

TEST_CASE("ini mps3: the same file's inline comment and quotes mean something else") {
    auto parsed = parse("[store \"a\"]\nx = \"v # w\" # comment\ny = v ; c\n", dialect::mps3);
    REQUIRE(parsed);
    CHECK((*parsed)[0].name == "a");
    CHECK((*parsed)[0].entries[0].value == "v # w");
    CHECK((*parsed)[0].entries[1].value == "v");
    CHECK_FALSE(parse("[store]\nnot a setting\n", dialect::mps3));
}
