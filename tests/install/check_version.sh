#!/usr/bin/env bash
# ctest version_output: `mps3d --version` and `mps3ctl --version` print
# "PROGRAM x.y.z (git DESCRIBE)" on stdout and exit 0; x.y.z is the CMake project version, and
# DESCRIBE is there exactly when the sources are a git checkout, naming its commit.
#
#   check_version.sh MPS3D MPS3CTL PROJECT_VERSION SOURCE_DIR
set -euo pipefail
mps3d=$1 mps3ctl=$2 version=$3 source_dir=$4
fail() { echo "check_version: $*" >&2; exit 1; }

commit=""
if [[ -e $source_dir/.git ]]; then
  # The commit the describe must name (a commit made since the build fails here: a stale
  # build, which `cmake --build` fixes).
  commit=$(git -C "$source_dir" rev-parse HEAD)
fi

for program in "$mps3d" "$mps3ctl"; do
  name=$(basename "$program")
  status=0
  out=$("$program" --version 2>"${TMPDIR:-/tmp}/mps3-version-err.$$") || status=$?
  err=$(cat "${TMPDIR:-/tmp}/mps3-version-err.$$"); rm -f "${TMPDIR:-/tmp}/mps3-version-err.$$"
  [[ $status == 0 ]] || fail "$name --version exited $status"
  [[ -z $err ]] || fail "$name --version wrote to stderr: $err"
  if [[ -n $commit ]]; then
    [[ $out =~ ^$name\ ${version//./\\.}\ \(git\ ([^\)]+)\)$ ]] ||
      fail "$name --version printed '$out', want '$name $version (git DESCRIBE)'"
    describe=${BASH_REMATCH[1]%-dirty}
    # A describe is a revision git can resolve: "v0.1.0", "v0.1.0-4-gabc1234", "abc1234".
    named=$(git -C "$source_dir" rev-parse --verify -q "$describe^{commit}") || named=""
    [[ $named == "$commit" ]] ||
      fail "$name --version names '$describe', not the checkout's commit $commit"
  else
    [[ $out == "$name $version" ]] || fail "$name --version printed '$out', want '$name $version'"
  fi
  echo "check_version: $out"
done
