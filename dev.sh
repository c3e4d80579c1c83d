#!/usr/bin/env bash
# The two things a developer does: run it, and test it. Both install what is missing first.
#
#   ./dev.sh run         build, start a local S3 server and mps3d against it (Ctrl-C stops both)
#   ./dev.sh test        build everything and run every test (unit + integration, both servers)
#   ./dev.sh test-asan   ASan+UBSan build; runs the unit tests and the s3rver integration tests
#   ./dev.sh build       just build (build/)
set -euo pipefail
cd "$(dirname "$0")"
jobs=$(nproc 2>/dev/null || echo 2)

configure_and_build() {  # build_dir extra-cmake-args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

case "${1:-}" in
  build)
    ./setup.sh
    configure_and_build build
    ;;
  test)
    ./setup.sh --test
    configure_and_build build
    ctest --test-dir build --output-on-failure -j "$jobs" --timeout 1800
    ;;
  test-asan)
    ./setup.sh --test
    cmake -S . -B build-asan -G Ninja -DMPS3_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
    # Only what the sanitized run executes (the test binaries and the programs they start):
    # the benches, fuzzers and install checks gain nothing from ASan and cost build time.
    cmake --build build-asan -j "$jobs" --target mps3_unit_tests mps3_integration_tests
    # The integration tests too: GCC 12 has coroutine miscompilations that only ASan shows.
    ctest --test-dir build-asan --output-on-failure -R '^(unit|integration_s3rver)$' \
      -j "$jobs" --timeout 1800
    ;;
  run)
    ./setup.sh --test
    configure_and_build build
    exec ./tests/servers/run-local.sh build
    ;;
  *)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac
