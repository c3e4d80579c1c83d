#!/usr/bin/env bash
# `./dev.sh run`: a throwaway local S3 server (s3rver) and, against it, libmps3's S3 client demo.
# The server keeps running so you can poke at it with mps3-s3; Ctrl-C stops it and cleans up.
# (When mps3d lands, this starts the daemon against the same server.)
set -euo pipefail
here=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
build=$(cd -P -- "${1:-$here/../../build}" && pwd)
tool=$build/daemon/mps3-s3
[[ -x $tool ]] || { echo "run-local: $tool is not built (./dev.sh build)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/mps3-dev-s3.XXXXXX")
cleanup() {
  "$here/s3server" stop "$dir" || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/s3server" start s3rver "$dir" >/dev/null
# shellcheck disable=SC1091
source "$dir/server.env"
export AWS_ENDPOINT_URL_S3=$MPS3_TEST_ENDPOINT AWS_REGION=$MPS3_TEST_REGION
export AWS_ACCESS_KEY_ID=$MPS3_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$MPS3_TEST_SECRET_KEY

echo "local S3 (s3rver) at $MPS3_TEST_ENDPOINT, data in $dir"
"$tool" demo mps3-dev
cat <<MSG

Try it (in another shell):
  export AWS_ENDPOINT_URL_S3=$MPS3_TEST_ENDPOINT AWS_REGION=$MPS3_TEST_REGION
  export AWS_ACCESS_KEY_ID=$MPS3_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$MPS3_TEST_SECRET_KEY
  $tool put mps3-dev greeting '"hi"'
  $tool ls mps3-dev
Ctrl-C stops the server.
MSG
pid=$(cat "$dir"/pids/*s3rver*.pid)
# Block until Ctrl-C or until the server exits on its own.
tail --pid="$pid" -f /dev/null
echo "run-local: the S3 server exited" >&2
exit 1
