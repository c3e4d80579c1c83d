#!/usr/bin/env bash
# `./dev.sh run`: a throwaway local S3 server (s3rver) and mps3d against it, in the foreground.
# Everything lives in one temporary directory (bucket data, socket, replica); Ctrl-C stops the
# daemon (which flushes its queued writes first), then the server, and removes the directory.
set -euo pipefail
here=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
build=$(cd -P -- "${1:-$here/../../build}" && pwd)
daemon=$build/daemon/mps3d
ctl=$build/daemon/mps3ctl
s3tool=$build/daemon/mps3-s3
for tool in "$daemon" "$ctl" "$s3tool"; do
  [[ -x $tool ]] || { echo "run-local: $tool is not built (./dev.sh build)" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/mps3-dev.XXXXXX")
daemon_pid=
cleanup() {
  if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  "$here/s3server" stop "$dir/s3" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/s3server" start s3rver "$dir/s3" >/dev/null
# shellcheck disable=SC1091
source "$dir/s3/server.env"
export AWS_ACCESS_KEY_ID=$MPS3_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$MPS3_TEST_SECRET_KEY
export AWS_REGION=$MPS3_TEST_REGION
"$s3tool" --endpoint "$MPS3_TEST_ENDPOINT" mb mps3-dev >/dev/null

socket=$dir/mps3d.sock
"$daemon" --endpoint "$MPS3_TEST_ENDPOINT" --bucket mps3-dev --socket "$socket" \
  --state-dir "$dir/state" --poll-interval 250 &
daemon_pid=$!
# Ready when the socket answers (bounded: 30 s).
for _ in $(seq 300); do
  MPS3_SOCKET=$socket "$ctl" --timeout 1 status >/dev/null 2>&1 && break
  kill -0 "$daemon_pid" 2>/dev/null || { echo "run-local: mps3d exited" >&2; exit 1; }
  sleep 0.1
done
MPS3_SOCKET=$socket "$ctl" status >/dev/null

cat <<MSG

mps3d is serving bucket mps3-dev on a local S3 server (s3rver at $MPS3_TEST_ENDPOINT).
Try it from another shell:
  export MPS3_SOCKET=$socket
  $ctl put greeting '"hello"'
  $ctl get greeting
  $ctl watch --prefix '' &        # prints every change as a JSON line
  $ctl put-all a=1 b='{"x":true}'
  $ctl list
  $ctl status
Ctrl-C stops mps3d (flushing its queue) and the server.

MSG
wait "$daemon_pid"
status=$?
daemon_pid=
echo "run-local: mps3d exited with status $status" >&2
exit "$status"
