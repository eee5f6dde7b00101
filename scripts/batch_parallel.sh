#!/usr/bin/env bash
# Runs one `borex batch` as N shards on this machine with GNU parallel (Debian package
# `parallel`; scripts/install_slow_test_deps.sh installs it), then merges them with
# `borex report OUT`. See docs/batch.md, "Running a dataset on many machines".
#
#   scripts/batch_parallel.sh [-j N] [--borex PATH] -- <borex batch arguments without --shard>
#
# Shard K of N (K = 1..N) is `borex batch ARGS --shard K/N`, writing OUT/shard-K-of-N/. Each shard
# gets `--threads max(1, cores/N)` unless ARGS set --threads. Every shard runs to the end even if
# another fails; the exit status is non-zero if any failed (they are named, with the log to read),
# and the report is only run when all succeeded. Re-running the same command resumes: each shard
# skips the rows its directory already holds (keep N the same, or the shards are cut differently
# and finished images are recomputed under the new shard directories; report still merges them).
#
# Logs: OUT/logs/parallel-shard-K-of-N.log per shard, OUT/logs/parallel.joblog (GNU parallel's job
# log); the summary goes to OUT/report.json.
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
repo=$(dirname "$(dirname "$self")")

usage() {
  cat <<EOF
Usage: scripts/batch_parallel.sh [-j N] [--borex PATH] -- <borex batch arguments without --shard>

Runs \`borex batch\` as N shards in parallel on this machine (GNU parallel), then
\`borex report OUT\` (OUT taken from --out in the batch arguments).

Options:
  -j, --jobs N    number of shards, run all at once (default: number of cores, $(nproc))
  --borex PATH    the borex executable (default: \$BOREX, else $repo/build/borex,
                  else borex on PATH)
  -h, --help      this help

Each shard gets --threads max(1, cores/N) unless the batch arguments set --threads.
Exit status: 0 all shards and the report succeeded; 1 a shard or the report failed;
2 bad command line. Re-run the same command to resume.

Example:
  scripts/batch_parallel.sh -j 2 -- --voc-root data/scenes --split val \\
      --model models/fashion_scenes_resnet.pt --methods rise,borex:rise --out out/val
EOF
}

die() { echo "batch_parallel: $*" >&2; exit 2; }

# Worker mode, run by GNU parallel for one shard: the batch arguments come from a file of
# NUL-separated words (first the borex path), so no argument goes through parallel's command-line
# quoting or its replacement strings ({}, {.}, {#} ... would otherwise be expanded inside them).
if [[ ${1-} == --run-shard ]]; then
  shard=$2 args_file=$3 log=$4
  mapfile -d '' words <"$args_file"
  exec "${words[0]}" batch "${words[@]:1}" --shard "$shard" >>"$log" 2>&1
fi

cores=$(nproc)
jobs=$cores
borex=${BOREX-}
while [[ $# -gt 0 ]]; do
  case $1 in
    -j|--jobs) [[ $# -ge 2 ]] || die "$1 needs a value"; jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    --jobs=*) jobs=${1#--jobs=}; shift ;;
    --borex) [[ $# -ge 2 ]] || die "--borex needs a value"; borex=$2; shift 2 ;;
    --borex=*) borex=${1#--borex=}; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option '$1' (batch arguments go after --; see -h)" ;;
  esac
done
batch_args=("$@")
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "-j wants a positive integer, not '$jobs'"
[[ ${#batch_args[@]} -gt 0 ]] || die "no borex batch arguments (put them after --; see -h)"

if [[ -z $borex ]]; then
  if [[ -x $repo/build/borex ]]; then borex=$repo/build/borex; else borex=borex; fi
fi
if [[ $borex == */* ]]; then
  [[ -x $borex ]] || die "borex executable '$borex' not found (build it, or pass --borex)"
  borex=$(readlink -f "$borex")
else
  command -v "$borex" >/dev/null || die "'$borex' not on PATH (pass --borex)"
fi
command -v parallel >/dev/null ||
  die "GNU parallel is not installed (Debian: apt-get install parallel, or scripts/install_slow_test_deps.sh)"

out=""
has_threads=0
for ((i = 0; i < ${#batch_args[@]}; ++i)); do
  case ${batch_args[i]} in
    --out) out=${batch_args[i + 1]-} ;;
    --out=*) out=${batch_args[i]#--out=} ;;
    --threads|--threads=*) has_threads=1 ;;
    --shard|--shard=*) die "do not pass --shard: the launcher picks the shards (-j)" ;;
  esac
done
[[ -n $out ]] || die "the batch arguments need --out DIR"
if [[ $has_threads -eq 0 ]]; then
  threads=$((cores / jobs))
  ((threads >= 1)) || threads=1
  batch_args+=(--threads "$threads")
fi

mkdir -p "$out/logs"
args_file=$(mktemp "${TMPDIR:-/tmp}/batch_parallel.XXXXXX")
trap 'rm -f "$args_file"' EXIT
printf '%s\0' "$borex" "${batch_args[@]}" >"$args_file"

echo "batch_parallel: $jobs shards of '$borex batch ${batch_args[*]}' (logs: $out/logs/)" >&2
joblog=$out/logs/parallel.joblog
status=0
# --halt never: every shard runs to its end; parallel's exit status counts the failed jobs.
parallel --will-cite --halt never --jobs "$jobs" --joblog "$joblog" -q \
  "$self" --run-shard '{}'/"$jobs" "$args_file" "$out/logs/parallel-shard-{}-of-$jobs.log" \
  ::: $(seq 1 "$jobs") || status=$?

# The job log: Seq Host Starttime JobRuntime Send Receive Exitval Signal Command; Seq is K.
failed=()
while read -r seq _ _ runtime _ _ exitval signal _; do
  [[ $seq =~ ^[0-9]+$ ]] || continue
  log=$out/logs/parallel-shard-$seq-of-$jobs.log
  if [[ $exitval != 0 || $signal != 0 ]]; then
    failed+=("$seq")
    echo "batch_parallel: shard $seq/$jobs FAILED (exit $exitval, signal $signal, ${runtime}s); last lines of $log:" >&2
    tail -n 5 "$log" 2>/dev/null | sed 's/^/    /' >&2 || true
  else
    echo "batch_parallel: shard $seq/$jobs done in ${runtime}s: $(tail -n 1 "$log" 2>/dev/null || true)" >&2
  fi
done < <(sort -n "$joblog")
if [[ ${#failed[@]} -gt 0 || $status -ne 0 ]]; then
  echo "batch_parallel: ${#failed[@]} of $jobs shards failed (${failed[*]:-see $joblog});" \
    "fix the cause and re-run the same command to resume" >&2
  exit 1
fi

"$borex" report "$out" --json "$out/report.json" || {
  echo "batch_parallel: borex report $out failed" >&2
  exit 1
}
