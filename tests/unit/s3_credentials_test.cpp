#include "aws_test_dir.hpp"

#include <mps3/s3/credentials.hpp>

#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code through it
#include <string>

namespace {

using mps3::errc;
using mps3::s3::credential_options;
using mps3::s3::environment;
using mps3::s3::load_credentials;
using mps3::s3::parse_credentials_file;

constexpr const char* secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

using temp_dir = mps3::test::aws_test_dir;

const std::string sample_file =
    "# comment\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key = " +
    std::string(secret) +
    "\n"
    "\n"
    "[profile dev]\n"
    "aws_access_key_id=AKIDDEV\n"
    "aws_secret_access_key=devsecret\n"
    "aws_session_token=devtoken==\n";

}  // namespace

TEST_CASE("parse_credentials_file: default and named profiles") {
    auto def = parse_credentials_file(sample_file, "default");
    REQUIRE(def);
    CHECK(def->access_key_id == "AKIDDEFAULT");
    CHECK(def->secret_access_key == secret);
    CHECK(def->session_token.empty());

    auto dev = parse_credentials_file(sample_file, "dev");
    REQUIRE(dev);
    CHECK(dev->access_key_id == "AKIDDEV");
    CHECK(dev->secret_access_key == "devsecret");
    CHECK(dev->session_token == "devtoken==");  // '=' inside a value is kept

    auto empty_name = parse_credentials_file(sample_file, "");
    REQUIRE(empty_name);
    CHECK(empty_name->access_key_id == "AKIDDEFAULT");
}

TEST_CASE("parse_credentials_file: whitespace, CRLF, case, comments, BOM") {
    const std::string text =
        "\xEF\xBB\xBF; a comment\r\n"
        "  [  work  ]  \r\n"
        "\tAWS_Access_Key_ID\t=   AKIDWORK   \r\n"
        "   # indented comment = not a key\r\n"
        "Aws_Secret_Access_Key:  worksecret\r\n"
        "aws_session_token   =\r\n"
        "region = eu-west-1\r\n"
        "[other]\r\n"
        "aws_access_key_id = AKIDOTHER\r\n";
    auto work = parse_credentials_file(text, "work");
    REQUIRE(work);
    CHECK(work->access_key_id == "AKIDWORK");
    CHECK(work->secret_access_key == "worksecret");
    CHECK(work->session_token.empty());
}

TEST_CASE("parse_credentials_file: profile names are exact") {
    const std::string text =
        "[Dev]\naws_access_key_id = A\naws_secret_access_key = B\n"
        "[profiled]\naws_access_key_id = C\naws_secret_access_key = D\n"
        "[profile\tspaced name ]\naws_access_key_id = E\naws_secret_access_key = F\n";
    CHECK_FALSE(parse_credentials_file(text, "dev"));
    CHECK(parse_credentials_file(text, "Dev"));
    auto profiled = parse_credentials_file(text, "profiled");  // not "[profile d]"
    REQUIRE(profiled);
    CHECK(profiled->access_key_id == "C");
    CHECK_FALSE(parse_credentials_file(text, "d"));
    auto spaced = parse_credentials_file(text, "spaced name");
    REQUIRE(spaced);
    CHECK(spaced->access_key_id == "E");
}

TEST_CASE("parse_credentials_file: errors name the profile and the missing key, never a secret") {
    auto missing = parse_credentials_file(sample_file, "prod");
    REQUIRE_FALSE(missing);
    CHECK(missing.err().code == errc::no_credentials);
    CHECK(missing.err().message.find("'prod'") != std::string::npos);
    CHECK(missing.err().message.find("not found") != std::string::npos);

    const std::string no_key = "[x]\naws_secret_access_key = " + std::string(secret) + "\n";
    auto no_key_result = parse_credentials_file(no_key, "x");
    REQUIRE_FALSE(no_key_result);
    CHECK(no_key_result.err().message.find("aws_access_key_id") != std::string::npos);
    CHECK(no_key_result.err().message.find(secret) == std::string::npos);

    auto no_secret = parse_credentials_file("[x]\naws_access_key_id = AKID\n", "x");
    REQUIRE_FALSE(no_secret);
    CHECK(no_secret.err().message.find("aws_secret_access_key") != std::string::npos);

    auto empty_secret =
        parse_credentials_file("[x]\naws_access_key_id = AKID\naws_secret_access_key =\n", "x");
    REQUIRE_FALSE(empty_secret);

    auto role = parse_credentials_file("[x]\nrole_arn = arn:aws:iam::1:role/r\n", "x");
    REQUIRE_FALSE(role);
    CHECK(role.err().message.find("not supported") != std::string::npos);

    CHECK_FALSE(parse_credentials_file("", "default"));
    CHECK_FALSE(parse_credentials_file("[default\naws_access_key_id = A\n", "default"));
}

TEST_CASE("load_credentials: environment variables come first") {
    const environment env{{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                          {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                          {"AWS_SESSION_TOKEN", "envtoken"},
                          {"HOME", "/nonexistent"}};
    auto creds = load_credentials({}, env);
    REQUIRE(creds);
    CHECK(creds->access_key_id == "AKIDENV");
    CHECK(creds->secret_access_key == "envsecret");
    CHECK(creds->session_token == "envtoken");
}

TEST_CASE("load_credentials: half an environment pair is an error") {
    auto only_id = load_credentials({}, {{"AWS_ACCESS_KEY_ID", "AKID"}});
    REQUIRE_FALSE(only_id);
    CHECK(only_id.err().code == errc::no_credentials);
    CHECK(only_id.err().message.find("AWS_SECRET_ACCESS_KEY") != std::string::npos);

    auto only_secret = load_credentials({}, {{"AWS_SECRET_ACCESS_KEY", secret}});
    REQUIRE_FALSE(only_secret);
    CHECK(only_secret.err().message.find(secret) == std::string::npos);
}

TEST_CASE("load_credentials: shared credentials file under $HOME") {
    const temp_dir home;
    (void)home.write(".aws/credentials", sample_file);
    const environment env{{"HOME", home.path()}, {"AWS_ACCESS_KEY_ID", ""}};

    auto def = load_credentials({}, env);
    REQUIRE(def);
    CHECK(def->access_key_id == "AKIDDEFAULT");

    environment with_profile = env;
    with_profile["AWS_PROFILE"] = "dev";
    auto dev = load_credentials({}, with_profile);
    REQUIRE(dev);
    CHECK(dev->access_key_id == "AKIDDEV");

    // An explicit profile beats $AWS_PROFILE.
    auto explicit_default =
        load_credentials({.profile = "default", .credentials_file = {}}, with_profile);
    REQUIRE(explicit_default);
    CHECK(explicit_default->access_key_id == "AKIDDEFAULT");
}

TEST_CASE("load_credentials: file from the option or $AWS_SHARED_CREDENTIALS_FILE") {
    const temp_dir dir;
    const std::string a =
        dir.write("a.ini", "[default]\naws_access_key_id=A\naws_secret_access_key=a\n");
    const std::string b =
        dir.write("b.ini", "[default]\naws_access_key_id=B\naws_secret_access_key=b\n");
    (void)dir.write("c.ini", "[default]\naws_access_key_id=C\naws_secret_access_key=c\n");

    const environment env{{"AWS_SHARED_CREDENTIALS_FILE", b}, {"HOME", dir.path()}};
    auto from_env = load_credentials({}, env);
    REQUIRE(from_env);
    CHECK(from_env->access_key_id == "B");

    auto from_option = load_credentials({.profile = {}, .credentials_file = a}, env);
    REQUIRE(from_option);
    CHECK(from_option->access_key_id == "A");

    auto tilde = load_credentials({.profile = {}, .credentials_file = "~/c.ini"}, env);
    REQUIRE(tilde);
    CHECK(tilde->access_key_id == "C");
}

TEST_CASE("load_credentials: failures say what was tried") {
    const temp_dir dir;
    const std::string missing = dir.path() + "/nope/credentials";
    auto no_file = load_credentials({.profile = "dev", .credentials_file = missing}, {});
    REQUIRE_FALSE(no_file);
    CHECK(no_file.err().code == errc::no_credentials);
    const std::string& message = no_file.err().message;
    CHECK(message.find("AWS_ACCESS_KEY_ID") != std::string::npos);
    CHECK(message.find(missing) != std::string::npos);
    CHECK(message.find("'dev'") != std::string::npos);
    CHECK(message.find("No such file") != std::string::npos);

    const std::string path = dir.write(
        "creds",
        "[default]\naws_access_key_id = A\naws_secret_access_key = " + std::string(secret) + "\n");
    auto no_profile = load_credentials({.profile = "prod", .credentials_file = path}, {});
    REQUIRE_FALSE(no_profile);
    CHECK(no_profile.err().message.find("'prod'") != std::string::npos);
    CHECK(no_profile.err().message.find(path) != std::string::npos);
    CHECK(no_profile.err().message.find(secret) == std::string::npos);

    auto directory = load_credentials({.profile = {}, .credentials_file = dir.path()}, {});
    REQUIRE_FALSE(directory);
    CHECK(directory.err().message.find(dir.path()) != std::string::npos);

    auto no_home = load_credentials({}, {});
    REQUIRE_FALSE(no_home);
    CHECK(no_home.err().message.find("HOME") != std::string::npos);
}

TEST_CASE("process_environment reads the real environment") {
    REQUIRE(setenv("MPS3_CREDENTIALS_TEST_VAR", "a=b", 1) == 0);
    const environment env = mps3::s3::process_environment();
    unsetenv("MPS3_CREDENTIALS_TEST_VAR");
    const auto it = env.find("MPS3_CREDENTIALS_TEST_VAR");
    REQUIRE(it != env.end());
    CHECK(it->second == "a=b");
}
