#!/usr/bin/env bash
# Checks the shipped unit files (user/ and system/) with `systemd-analyze verify`, and that the
# system service keeps its sandbox (`systemd-analyze security --offline`, exposure <= 2.0).
# Any message about our units fails: systemd-analyze exits 0 on an unknown key or a bad value,
# it only prints a warning.
#
#   systemd/verify.sh [EXECUTABLE]
#
# verify needs ExecStart= to name an existing executable: the units are checked from a temporary
# copy whose ExecStart runs EXECUTABLE instead of /usr/local/bin/mps3d (default /bin/true; pass a
# built mps3d to check that path too). Nothing else in the units is changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exe="${1:-/bin/true}"
max_exposure=20  # in tenths, as --threshold takes it: 2.0 (today 1.2)

fail() { echo "verify.sh: $*" >&2; exit 1; }

command -v systemd-analyze >/dev/null ||
  fail "systemd-analyze not found: install the systemd package (./setup.sh does)"
[[ -x "$exe" ]] || fail "'$exe' is not an executable file"
exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# A user manager needs a runtime directory even to verify; give it a private empty one.
mkdir -m 0700 "$tmp/runtime" "$tmp/home"

check_output() {  # what, output: fail when systemd-analyze said anything
  if [[ -n "$2" ]]; then
    printf '%s\n' "$2" >&2
    fail "$1: systemd-analyze reported the problems above"
  fi
}

for scope in user system; do
  mkdir "$tmp/$scope"
  for unit in mps3d.socket mps3d.service; do
    [[ -f "$here/$scope/$unit" ]] || fail "missing $scope/$unit"
    sed "s|^ExecStart=/usr/local/bin/mps3d\\b|ExecStart=$exe|" "$here/$scope/$unit" \
      >"$tmp/$scope/$unit"
  done
  grep -q "^ExecStart=$exe\\b" "$tmp/$scope/mps3d.service" ||
    fail "$scope/mps3d.service: ExecStart= does not start with /usr/local/bin/mps3d"

  mode=()
  [[ $scope == user ]] && mode=(--user)
  status=0
  output="$(XDG_RUNTIME_DIR="$tmp/runtime" HOME="$tmp/home" \
    systemd-analyze "${mode[@]}" verify --man=no \
    "$tmp/$scope/mps3d.socket" "$tmp/$scope/mps3d.service" 2>&1)" || status=$?
  check_output "$scope units" "$output"
  ((status == 0)) || fail "$scope units: systemd-analyze verify exited with $status"
  echo "verify.sh: $scope/mps3d.socket and $scope/mps3d.service verified"
done

# The offline security score treats a unit as a system service, so only the system one is scored
# (the user service runs as the user, without capabilities, whatever the score would say).
status=0
output="$(systemd-analyze security --offline=yes --man=no --no-pager \
  --threshold="$max_exposure" "$tmp/system/mps3d.service" 2>&1)" || status=$?
summary="$(printf '%s\n' "$output" | grep 'Overall exposure level' || true)"
if ((status != 0)); then
  printf '%s\n' "$output" | grep '✗' >&2 || true
  fail "system/mps3d.service: exposure above 2.0 (${summary:-no summary}); the sandbox lost settings"
fi
echo "verify.sh: system/mps3d.service sandbox: ${summary#→ }"
