// credential_process: splitting its command line, reading its output, running it, and where it
// stands in the credential chain. The runs are real processes (small shell scripts).
#include "aws_test_dir.hpp"

#include <mps3/s3/credential_process.hpp>
#include <mps3/s3/credentials.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <ostream>  // doctest prints std::error_code through it
#include <string>
#include <vector>

namespace {

using namespace mps3::s3;
using mps3::errc;
using mps3::test::aws_test_dir;
using namespace std::chrono_literals;

constexpr const char* secret = "process/SECRET+never-in-a-message";

std::string document(const std::string& key_id, const std::string& extra = "") {
    return "{\"Version\": 1, \"AccessKeyId\": \"" + key_id + "\", \"SecretAccessKey\": \"" +
           secret + "\"" + extra + "}";
}

// A script that prints `text` (and exits with `code`).
std::string script(const aws_test_dir& dir, const std::string& name, const std::string& text,
                   int code = 0, const std::string& to_stderr = "") {
    return dir.write(name,
                     "#!/bin/sh\ncat <<'JSON'\n" + text + "\nJSON\n" +
                         (to_stderr.empty() ? "" : "echo '" + to_stderr + "' >&2\n") + "exit " +
                         std::to_string(code) + "\n",
                     true);
}

}  // namespace

TEST_CASE("credential_process: split like shlex.split, no shell") {
    using words = std::vector<std::string>;
    CHECK(*split_command_line("/usr/bin/tool  --profile dev") ==
          words{"/usr/bin/tool", "--profile", "dev"});
    CHECK(*split_command_line(R"(tool "a b" 'c "d"' e\ f "g\"h" 'i\j' $HOME)") ==
          words{"tool", "a b", "c \"d\"", "e f", "g\"h", "i\\j", "$HOME"});
    CHECK(*split_command_line(R"(tool "x"'y'z)") == words{"tool", "xyz"});
    CHECK(*split_command_line("tool ''") == words{"tool", ""});
    for (const char* bad : {"", "   ", "tool 'open", "tool \"open", "tool \\"}) {
        CAPTURE(bad);
        CHECK_FALSE(split_command_line(bad));
    }
}

TEST_CASE("credential_process: output Version 1 with keys, token and expiration") {
    auto full =
        parse_credential_process_output(document("AKIDPROC",
                                                 ", \"SessionToken\": \"tok\", \"Expiration\": "
                                                 "\"2030-01-02T03:04:05Z\""));
    REQUIRE(full);
    CHECK(full->access_key_id == "AKIDPROC");
    CHECK(full->secret_access_key == secret);
    CHECK(full->session_token == "tok");
    REQUIRE(full->expiration);
    CHECK(std::chrono::duration_cast<std::chrono::seconds>(full->expiration->time_since_epoch())
              .count() == 1893553445);

    auto lasting = parse_credential_process_output(document("AKIDPROC"));
    REQUIRE(lasting);
    CHECK_FALSE(lasting->expiration);
}

TEST_CASE("credential_process: bad output is a clear error without the secret") {
    const std::string s(secret);
    const std::vector<std::string> bad_outputs = {
        std::string("not json ") + secret,
        "[1, 2]",
        "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" + s + "\"}",
        "{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"" + s + "\"}",
        "{\"Version\": 1, \"SecretAccessKey\": \"" + s + "\"}",
        "{\"Version\": 1, \"AccessKeyId\": \"A\"}",
        "{\"Version\": 1, \"AccessKeyId\": 5, \"SecretAccessKey\": \"" + s + "\"}",
        document("A", ", \"Expiration\": \"tomorrow\""),
    };
    for (const std::string& bad : bad_outputs) {
        CAPTURE(bad);
        auto parsed = parse_credential_process_output(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.err().code == errc::no_credentials);
        CHECK(parsed.err().message.find(secret) == std::string::npos);
    }
    CHECK(parse_credential_process_output("{\"Version\": 2}").err().message.find("Version") !=
          std::string::npos);
}

TEST_CASE("credential_process: runs the program, reports its failures") {
    const aws_test_dir dir;
    auto ran = run_credential_process(script(dir, "ok.sh", document("AKIDRUN")), 10s);
    REQUIRE(ran);
    CHECK(ran->access_key_id == "AKIDRUN");

    // Arguments reach the program as words, unexpanded by any shell.
    const std::string echo =
        dir.write("echo.sh",
                  "#!/bin/sh\nprintf '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":"
                  "\"s\"}' \"$1\"\n",
                  true);
    auto argument = run_credential_process("'" + echo + "' 'AKID $HOME'", 10s);
    REQUIRE(argument);
    CHECK(argument->access_key_id == "AKID $HOME");

    auto failing = run_credential_process(
        script(dir, "fail.sh", document("AKIDFAIL"), 3, "token expired, run login"), 10s);
    REQUIRE_FALSE(failing);
    CHECK(failing.err().code == errc::no_credentials);
    CHECK(failing.err().message.find("exited with code 3: token expired, run login") !=
          std::string::npos);
    CHECK(failing.err().message.find(secret) == std::string::npos);

    auto missing = run_credential_process(dir.path() + "/no-such-program", 10s);
    REQUIRE_FALSE(missing);
    CHECK(missing.err().message.find("could not start") != std::string::npos);

    const std::string hangs = dir.write("hang.sh", "#!/bin/sh\nexec sleep 30\n", true);
    const auto started = std::chrono::steady_clock::now();
    auto slow = run_credential_process(hangs, 300ms);
    REQUIRE_FALSE(slow);
    CHECK(slow.err().message.find("killed") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < 20s);  // killed, not waited for
}

TEST_CASE("credential chain: credentials file keys > credential_process > config file keys") {
    const aws_test_dir dir;
    const std::string process = script(dir, "creds.sh", document("AKIDPROCESS"));
    const std::string config =
        dir.write("config", "[profile p]\ncredential_process = " + process +
                                "\n[profile keys]\naws_access_key_id = AKIDCONFIG\n"
                                "aws_secret_access_key = s\n");
    const environment env{{"HOME", dir.path()}, {"AWS_CONFIG_FILE", config}};

    // No credentials file: the config file's credential_process, then its keys.
    auto from_process = load_credentials({.profile = "p"}, env);
    REQUIRE(from_process);
    CHECK(from_process->access_key_id == "AKIDPROCESS");
    auto from_config = load_credentials({.profile = "keys"}, env);
    REQUIRE(from_config);
    CHECK(from_config->access_key_id == "AKIDCONFIG");

    // The credentials file's keys come first.
    (void)dir.write(".aws/credentials",
                    "[p]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
    auto from_file = load_credentials({.profile = "p"}, env);
    REQUIRE(from_file);
    CHECK(from_file->access_key_id == "AKIDFILE");

    // A credential_process in the credentials file counts too.
    (void)dir.write(".aws/credentials", "[keys]\ncredential_process = " + process + "\n");
    auto process_in_credentials = load_credentials({.profile = "keys"}, env);
    REQUIRE(process_in_credentials);
    CHECK(process_in_credentials->access_key_id == "AKIDPROCESS");

    // A failing process is the answer (not a silent fall-through), naming where it is set.
    const std::string failing = script(dir, "fail.sh", "", 1, "not logged in");
    (void)dir.write("config", "[profile p]\ncredential_process = " + failing + "\n");
    auto failed = load_credentials({.profile = "p"}, env);
    REQUIRE_FALSE(failed);
    CHECK(failed.err().message.find("not logged in") != std::string::npos);
    CHECK(failed.err().message.find("profile 'p' of " + config) != std::string::npos);

    // Nothing anywhere: both files named.
    auto none = load_credentials({.profile = "nobody"}, env);
    REQUIRE_FALSE(none);
    CHECK(none.err().message.find(dir.path() + "/.aws/credentials") != std::string::npos);
    CHECK(none.err().message.find(config) != std::string::npos);
}
