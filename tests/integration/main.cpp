// Integration tests run against one real S3 server per process (MPS3_TEST_SERVER=rgw|s3rver).
// The server is started before the first test and stopped when the process exits.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "test_server.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    try {
        const auto& server = mps3::test::shared_server();
        std::fprintf(stderr, "integration tests against %s at %s\n", server.kind().c_str(),
                     server.endpoint_url().c_str());
    } catch (const std::exception& e) {
        // No silent skipping: a server that cannot start fails the run.
        std::fprintf(stderr, "FATAL: %s\n", e.what());
        return 1;
    }
    return context.run();
}
