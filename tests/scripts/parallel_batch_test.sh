#!/usr/bin/env bash
# scripts/batch_parallel.sh end to end: a 2-shard batch over tests/data/voc_tiny with GNU
# parallel, then checks the shards and the merged CSVs; the same command again resumes (computes
# nothing); a batch whose shards fail exits non-zero naming them and runs no report.
#
#   tests/scripts/parallel_batch_test.sh SOURCE_DIR BOREX
#
# Exit 77 (ctest SKIP_RETURN_CODE) when GNU parallel is not installed
# (scripts/install_slow_test_deps.sh installs it). Takes about 10-20 s.
set -euo pipefail

source_dir=$(readlink -f "$1")
borex=$(readlink -f "$2")

for tool in parallel python3; do
  command -v "$tool" >/dev/null ||
    { echo "parallel_batch_test: SKIP: $tool not installed (scripts/install_slow_test_deps.sh)"; exit 77; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/borex-parallel.XXXXXX")
trap 'rm -rf "$work"' EXIT

out=$work/out
methods=rise,borex:rise
batch_args=(--voc-root tests/data/voc_tiny --split test
  --methods "$methods" --masks 20 --iterations 5 --step 2048)
cd "$source_dir"
# No --threads: the launcher adds --threads max(1, cores/2).
scripts/batch_parallel.sh -j 2 --borex "$borex" -- \
  "${batch_args[@]}" --model models/fashion_scenes_resnet.pt --out "$out" 2>"$work/first.err" ||
  { cat "$work/first.err" >&2; exit 1; }
cat "$work/first.err"

tests/scripts/check_sharded_output.py "$out" "$methods" 2 tests/data/voc_tiny/ImageSets/Main/test.txt
[[ -s $out/report.json ]] || { echo "parallel_batch_test: no $out/report.json" >&2; exit 1; }
threads=$(($(nproc) / 2))
((threads >= 1)) || threads=1
grep -q -- "--threads $threads'" "$work/first.err" ||
  { echo "parallel_batch_test: the shards did not get --threads $threads" >&2; exit 1; }

# The same command again resumes: both shards find their 3 images x 2 methods done.
scripts/batch_parallel.sh -j 2 --borex "$borex" -- \
  "${batch_args[@]}" --model models/fashion_scenes_resnet.pt --out "$out" >/dev/null 2>"$work/again.err"
# Each shard's batch.json describes its latest run: nothing processed, 3 images x 2 methods resumed.
python3 - "$out" 2 <<'PY'
import json, sys
for k in range(1, int(sys.argv[2]) + 1):
    run = json.load(open(f"{sys.argv[1]}/shard-{k}-of-{sys.argv[2]}/batch.json"))
    assert run["images_processed"] == 0 and run["rows_resumed"] == 6, (k, run)
PY
[[ $(wc -l <"$out/rise.csv") -eq 7 ]] || { echo "parallel_batch_test: resume changed rise.csv" >&2; exit 1; }

# Failing shards: non-zero, both named, no report.
if scripts/batch_parallel.sh -j 2 --borex "$borex" -- \
  "${batch_args[@]}" --model "$work/missing.pt" --out "$work/bad" 2>"$work/bad.err"; then
  echo "parallel_batch_test: a batch with a missing model succeeded" >&2
  exit 1
fi
if ! grep -q 'shard 1/2 FAILED' "$work/bad.err" || ! grep -q 'shard 2/2 FAILED' "$work/bad.err" ||
  [[ -e $work/bad/report.json ]]; then
  cat "$work/bad.err" >&2
  echo "parallel_batch_test: the failed shards were not named, or a report was written" >&2
  exit 1
fi
echo "parallel_batch_test: the failing batch said, as expected:"
sed 's/^/  | /' "$work/bad.err"
echo "parallel_batch_test: ok"
