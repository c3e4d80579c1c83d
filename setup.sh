#!/usr/bin/env bash
# Installs what mps3d needs to build (and, with --test, to run its tests) on Debian 12,
# skipping what is already there. Idempotent; fails loudly when a package cannot be had.
#
#   ./setup.sh          build dependencies
#   ./setup.sh --test   build dependencies + the real S3 servers the tests run against,
#                       redis-server for the local socket bench, and clang for the fuzzers
set -euo pipefail
cd "$(dirname "$0")"

build_packages=(
  g++ cmake ninja-build pkg-config ccache git
  libboost1.81-dev rapidjson-dev libcli11-dev doctest-dev libpugixml-dev
  libsqlite3-dev libssl-dev libsystemd-dev zlib1g-dev ca-certificates
  systemd groff-base zsh
)
# systemd brings systemd-analyze: the unit-labelled ctest systemd_units verifies the shipped
# unit files with it, and `ctest -L unit` must pass after a plain ./setup.sh.
# Likewise groff-base (groff) and zsh: the ctests man_pages and shell_completions render the man
# pages and parse the zsh completions with them.
# Ceph RGW (single-node memstore cluster) and s3rver (npm) are the tests' S3 servers;
# curl signs the readiness probes of tests/servers/s3server. redis-server is what
# mps3_bench_local compares the socket with: the bench starts its own redis-server processes
# (own config, Unix socket in a temp dir, no TCP port), so the package's service is never used.
# clang builds the libFuzzer targets (tests/fuzz/run.sh); on Debian 12 the fuzzer and sanitizer
# runtimes (libclang_rt.fuzzer) are in libclang-rt-14-dev, which clang only recommends.
# The client libraries' tests (clients/) run with Debian's python3 and its pytest, and
# docs/clients.md's shell example is tested with socat. faketime brings libfaketime, preloaded
# into real mps3d processes to skew their clocks (tests/integration/daemon_faults_test.cpp).
test_packages=(radosgw ceph-mon ceph-osd ceph-common curl redis-server clang libclang-rt-14-dev
  python3 python3-pytest socat patch faketime)

want_tests=0
for arg in "$@"; do
  case "$arg" in
    --test) want_tests=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

packages=("${build_packages[@]}")
if [[ $want_tests == 1 ]]; then
  packages+=("${test_packages[@]}")
  # Node.js may come from elsewhere (nodesource...); only ask apt when it is missing.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if (( ${#missing[@]} )); then
  echo "setup.sh: installing ${missing[*]}" >&2
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q || { echo "setup.sh: apt-get update failed" >&2; exit 1; }
  if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
      "${missing[@]}"; then
    echo "setup.sh: could not install: ${missing[*]} (is this Debian 12 with apt reachable?)" >&2
    exit 1
  fi
fi

# Every package of tests/servers/package.json: s3rver, and aws4fetch for the JS client of
# tests/servers/mps3js-driver.mjs. A tree installed before a package was added gets it too.
if [[ $want_tests == 1 && ( ! -d tests/servers/node_modules/s3rver ||
      ! -d tests/servers/node_modules/aws4fetch ) ]]; then
  echo "setup.sh: installing s3rver and aws4fetch (npm ci, pinned by tests/servers/package-lock.json)" >&2
  (cd tests/servers && npm ci --no-audit --no-fund --loglevel=error) ||
    { echo "setup.sh: npm ci in tests/servers failed" >&2; exit 1; }
fi
# s3rver 3.7.1 writes a PUT's body into the object in place: a client that gives up half-way
# (a timeout, then a retry) leaves the object truncated, which S3 never does. The patch makes its
# PUT atomic (tests/servers/s3rver-atomic-put.patch says how); applied once, checked every time.
s3rver_store=tests/servers/node_modules/s3rver/lib/stores/filesystem.js
if [[ $want_tests == 1 ]] && ! grep -q 'mps3d test patch' "$s3rver_store"; then
  echo "setup.sh: patching s3rver for atomic PUTs (tests/servers/s3rver-atomic-put.patch)" >&2
  patch -s -p1 -d tests/servers/node_modules/s3rver < tests/servers/s3rver-atomic-put.patch ||
    { echo "setup.sh: the s3rver patch does not apply (is it 3.7.1?)" >&2; exit 1; }
fi
echo "setup.sh: all dependencies present" >&2
