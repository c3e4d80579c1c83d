// The `version` method and `mps3ctl version`, against a real mps3d: the daemon reports the
// project version CMake gave it and the protocol version, mps3ctl shows its own and the daemon's.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <string>

namespace {

using namespace mps3::test;

struct one_daemon {
    std::string bucket = unique_bucket("version");
    std::filesystem::path dir = make_temp_dir("version");
    daemon_process d{shared_server(), daemon_options{bucket, "manifest.json", dir / "d"}};

    one_daemon() {
        create_bucket_now(shared_server(), bucket);
        d.start();
    }
    ~one_daemon() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("mps3d version: the method answers the project version, the commit and the protocol") {
    one_daemon t;
    auto c = connect_to(t.d);
    auto answer = call(c, "version", "{}");
    REQUIRE(answer.IsObject());
    CHECK(std::string(answer["version"].GetString()) == MPS3_EXPECTED_VERSION);
    CHECK(answer["protocol"].GetInt() == 1);
    // A string in a git checkout, null in a build from a tarball; never absent.
    REQUIRE(answer.HasMember("git"));
    CHECK((answer["git"].IsString() || answer["git"].IsNull()));
    // The version is the daemon's: a store (or anything else) is refused, and it keeps serving.
    CHECK(error_code(c, "version", R"({"store":"default"})") == -32602);
    CHECK(call(c, "version", "{}")["protocol"].GetInt() == 1);
}

TEST_CASE("mps3d version: mps3ctl version prints its own line, then mps3d's with the protocol") {
    one_daemon t;
    auto own = t.d.ctl({"--version"});
    REQUIRE(own.exit_code == 0);
    auto both = t.d.ctl({"version"});
    REQUIRE_MESSAGE(both.exit_code == 0, both.err);
    const auto newline = both.out.find('\n');
    REQUIRE(newline != std::string::npos);
    CHECK(both.out.substr(0, newline + 1) == own.out);
    const std::string daemon_line = both.out.substr(newline + 1);
    CAPTURE(daemon_line);
    CHECK(daemon_line.starts_with(std::string("mps3d ") + MPS3_EXPECTED_VERSION));
    CHECK(daemon_line.ends_with(", protocol 1\n"));
    // Built from the same tree, the daemon's line is the client's with the other name.
    const std::string own_rest = own.out.substr(std::string("mps3ctl").size());  // " x.y.z ...\n"
    CHECK(daemon_line == "mps3d" + own_rest.substr(0, own_rest.size() - 1) + ", protocol 1\n");
}
