#!/usr/bin/env bash
# ctest install_consumer: `cmake --install`s the build into a scratch prefix
# (BUILD_DIR/install-check/prefix), then builds the README's "Using the S3 client" example
# against it twice, with find_package(mps3) (consumer/CMakeLists.txt, which also compiles every
# installed header alone) and with pkg-config, and runs both on the paths that need no network.
#
#   check_install.sh BUILD_DIR SOURCE_DIR CXX_COMPILER [COMPILER_LAUNCHER]
set -euo pipefail
build_dir=$1 source_dir=$2 cxx=$3 launcher=${4:-}
# A fixed place in the build directory rather than a new temporary one each run: the compiler
# sees the same paths every time, so ccache serves the consumers' second builds.
work=$build_dir/install-check
rm -rf "$work"
mkdir -p "$work/empty-home"
fail() { echo "check_install: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }

# The README's example, verbatim: the first cpp block after "## Using the S3 client".
example=$work/s3_example.cpp
awk '/^## Using the S3 client/ {section = 1; next}
     section && /^```cpp$/ {inside = 1; next}
     inside && /^```$/ {exit}
     inside {print}' "$source_dir/README.md" >"$example"
[[ -s $example ]] || fail "no cpp block under '## Using the S3 client' in README.md"

# Runs the example the two ways that need no network: no argument (usage, exit 2), and a
# bucket without credentials (the library reports what it tried, exit 1; HOME is empty, so no
# ~/.aws/credentials is found, and no AWS_* variable is set).
check_runs() {  # program
  local out status
  status=0; "$1" >"$work/out" 2>&1 || status=$?
  [[ $status == 2 ]] && grep -q "usage: .* BUCKET" "$work/out" ||
    fail "$1 without arguments: exit $status, '$(cat "$work/out")' (want usage, exit 2)"
  status=0; env -i HOME="$work/empty-home" PATH="$PATH" "$1" some-bucket >"$work/out" 2>&1 ||
    status=$?
  out=$(cat "$work/out")
  [[ $status == 1 && $out == *AWS_ACCESS_KEY_ID* ]] ||
    fail "$1 without credentials: exit $status, '$out' (want exit 1 naming what was tried)"
}

launcher_args=()
[[ -n $launcher ]] && launcher_args=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
cmake -S "$source_dir/tests/install/consumer" -B "$work/cmake-consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" "${launcher_args[@]}" \
  -DMPS3_EXAMPLE_SOURCE="$example" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; fail "find_package(mps3) consumer: configure failed"; }
cmake --build "$work/cmake-consumer" -j 2 >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "find_package(mps3) consumer: build failed"; }
check_runs "$work/cmake-consumer/s3_example"

pc_file=$(find "$prefix" -name mps3.pc)
[[ -n $pc_file ]] || fail "no mps3.pc under the prefix"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc_file")
[[ $(pkg-config --modversion mps3) == "$(sed -n 's/^Version: //p' "$pc_file")" ]] ||
  fail "pkg-config cannot read mps3.pc"
read -r -a cflags <<<"$(pkg-config --cflags mps3)"
read -r -a libs <<<"$(pkg-config --libs mps3)"
$launcher "$cxx" -std=c++20 "${cflags[@]}" "$example" "${libs[@]}" -o "$work/pc_example" ||
  fail "pkg-config consumer: build failed"
check_runs "$work/pc_example"
echo "check_install: installed prefix OK (find_package and pkg-config consumers built and ran)"
