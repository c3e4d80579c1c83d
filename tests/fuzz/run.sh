#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/, clang, ASan+UBSan) and runs each one for a bounded
# time on a scratch copy of its seed corpus (tests/fuzz/corpus/<target>/, which never grows).
# Exits non-zero when the build fails or any target finds a crash, leak, timeout or broken
# invariant; the inputs that did it are kept in build-fuzz/crashes/. docs/fuzzing.md.
#
#   tests/fuzz/run.sh                          every target, 20 s each (what .ci/run does)
#   MPS3_FUZZ_SECONDS=3600 tests/fuzz/run.sh   the long mode: an hour each
#   tests/fuzz/run.sh resolver s3_xml          only these targets
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${MPS3_FUZZ_SECONDS:-20}
# Two targets at a time: the CI machine has two cores.
parallel=${MPS3_FUZZ_PARALLEL:-2}

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (./setup.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DMPS3_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$parallel"

targets=("$@")
if (( ${#targets[@]} == 0 )); then
  for dir in tests/fuzz/corpus/*/; do
    targets+=("$(basename "$dir")")
  done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
crashes=build-fuzz/crashes
mkdir -p "$crashes"

run_one() {  # target: fuzzes it; the log says how it went
  local name=$1
  mkdir -p "$work/$name/corpus" "$work/$name/artifacts"
  cp -R "tests/fuzz/corpus/$name/." "$work/$name/corpus/"
  # -timeout: one input taking 10 s is a hang. -rss_limit_mb: a leak or a blow-up is a finding.
  "build-fuzz/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/$name/artifacts/" "$work/$name/corpus" \
    >"$work/$name/log" 2>&1
}

for name in "${targets[@]}"; do
  if [[ ! -x "build-fuzz/tests/fuzz/fuzz_$name" || ! -d "tests/fuzz/corpus/$name" ]]; then
    echo "fuzz: no target '$name' (tests/fuzz/fuzz_$name.cpp and corpus/$name/)" >&2
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $parallel at a time"
declare -A pids
for name in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= parallel )); do
    wait -n || true
  done
  run_one "$name" &
  pids[$name]=$!
done

failed=()
for name in "${targets[@]}"; do
  rc=0
  wait "${pids[$name]}" || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log" | tail -n 1)
  if (( rc == 0 )); then
    printf 'fuzz: %-12s ok      %s executions\n' "$name" "${execs:-?}"
    continue
  fi
  failed+=("$name")
  printf 'fuzz: %-12s FAILED  (exit %s) after %s executions\n' "$name" "$rc" "${execs:-?}" >&2
  grep -E 'invariant failed|runtime error|ERROR: |SUMMARY' "$work/$name/log" | head -n 20 >&2 || true
  for artifact in "$work/$name/artifacts"/*; do
    [[ -e $artifact ]] || continue
    cp "$artifact" "$crashes/$name-$(basename "$artifact")"
    echo "fuzz:   input kept: $crashes/$name-$(basename "$artifact")" \
      "(rerun: build-fuzz/tests/fuzz/fuzz_$name FILE)" >&2
  done
done
if (( ${#failed[@]} )); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all targets ran ${seconds} s without a finding"
