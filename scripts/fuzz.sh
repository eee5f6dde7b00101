#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (clang, ASan + UBSan) in build-fuzz/ and runs each
# on a scratch copy of its corpus (tests/fuzz/corpus/<harness>; new inputs stay in the copy,
# build-fuzz/corpus/<harness>). Exits non-zero if any harness finds a crash, leak or timeout;
# the input is saved as build-fuzz/artifacts/<harness>-crash-... (or leak-, timeout-, oom-).
#
#   scripts/fuzz.sh --seconds 20              every harness for 20 s (CI's smoke test)
#   scripts/fuzz.sh --runs 1000000            every harness for 10^6 executions
#   scripts/fuzz.sh --runs 1000000 npy csv    only these harnesses
#
# Logs: build-fuzz/logs/<harness>.log. Harnesses: npy voc_annotation segmentation csv
# label_map clip_annotation prior_map onnx_model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --ci

usage() {
  echo "usage: scripts/fuzz.sh (--seconds N | --runs N) [harness ...]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
case "$1" in
  --seconds) limit=(-max_total_time="$2") ;;
  --runs) limit=(-runs="$2") ;;
  *) usage ;;
esac
shift 2
harnesses=("$@")
[[ ${#harnesses[@]} -gt 0 ]] ||
  harnesses=(npy voc_annotation segmentation csv label_map clip_annotation prior_map onnx_model)

build=build-fuzz
export UBSAN_OPTIONS=print_stacktrace=1
export OPENCV_LOG_LEVEL=ERROR  # not a warning per undecodable input
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOREX_FUZZ=ON \
  -DBOREX_WITH_TORCH=OFF -DBOREX_BUILD_TESTS=OFF -DBOREX_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" --target borex_fuzz -j 2

mkdir -p "$build/logs" "$build/artifacts"
failed=()
for name in "${harnesses[@]}"; do
  corpus="$build/corpus/$name"
  rm -rf "$corpus"
  mkdir -p "$corpus"
  cp tests/fuzz/corpus/"$name"/* "$corpus"/
  log="$build/logs/$name.log"
  echo "fuzz.sh: $name ${limit[*]}" >&2
  status=0
  "$build/tests/fuzz/${name}_fuzz" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" "$corpus" >"$log" 2>&1 &
  pid=$!
  wait $pid || status=$?
  rm -f /dev/shm/borex-fuzz-"$pid"-*  # the harness's input file
  grep -E '^(Done|#[0-9]+ +DONE)|stat::number_of_executed_units|stat::average_exec_per_sec' \
    "$log" | sed "s/^/  $name: /" >&2 || true
  if [[ $status -ne 0 ]]; then
    echo "fuzz.sh: $name FAILED (exit $status), see $log:" >&2
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2 || true
    failed+=("$name")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: findings in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: all ${#harnesses[@]} harnesses ran without findings" >&2
