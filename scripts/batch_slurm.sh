#!/usr/bin/env bash
# Submits one `borex batch` to Slurm as a job array of N shards (scripts/batch_slurm.sbatch), and a
# `borex report OUT` job that runs when every shard has succeeded (--dependency=afterok). See
# docs/batch.md, "Running a dataset on many machines".
#
#   scripts/batch_slurm.sh -n N [--borex PATH] [--partition P] [--time T] [--cpus C] [--wait] \
#       -- <borex batch arguments without --shard>
#
# Prints `array_job=ID` and `report_job=ID` on stdout. Logs: OUT/logs/slurm-ARRAYID_K.out per
# shard, OUT/logs/slurm-report-ID.out; the summary goes to OUT/report.json.
#
# Assumptions (see also the comments in batch_slurm.sbatch):
#  - Run it on a submit host of a cluster whose nodes share a filesystem with it: the borex binary
#    (passed to the jobs as an absolute path), the model, the dataset and OUT must be visible at
#    the same paths on every node. Relative paths in the batch arguments are resolved in the
#    directory this script is run from (the jobs start there: sbatch's default working directory).
#    borex's shared libraries (LibTorch, OpenCV, ...) must be installed on the nodes too.
#  - The sbatch script itself need not be shared (sbatch sends its contents with the job).
#  - The jobs inherit this environment (sbatch's default --export=ALL).
#  - If a shard fails, the report job is cancelled (--kill-on-invalid-dep=yes) rather than left
#    pending forever. Re-running the same command (same -n) resumes: every shard skips the rows
#    its OUT/shard-K-of-N/ already holds. To re-run only some shards by hand:
#    sbatch --array=2,5 --output='OUT/logs/slurm-%A_%a.out' scripts/batch_slurm.sbatch \
#        --borex /abs/borex --shards N -- ARGS   (then `borex report OUT`).
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
repo=$(dirname "$(dirname "$self")")
sbatch_script=$repo/scripts/batch_slurm.sbatch

usage() {
  cat <<EOF
Usage: scripts/batch_slurm.sh -n N [options] -- <borex batch arguments without --shard>

Submits \`borex batch\` as a Slurm job array of N shards, then a \`borex report OUT\` job
that depends on all of them (afterok). Prints array_job=ID and report_job=ID.

Options:
  -n, --shards N      number of shards (array tasks 1..N); required
  --borex PATH        the borex executable, on a filesystem the nodes share
                      (default: \$BOREX, else $repo/build/borex)
  --partition P       sbatch --partition
  --time T            sbatch --time, for each shard and for the report
  --cpus C            sbatch --cpus-per-task for each shard; also the shard's --threads
                      unless the batch arguments set it (default: Slurm's, 1 CPU)
  --sbatch-opt OPT    pass OPT to both sbatch calls (repeatable), e.g. --sbatch-opt=--mem=8G
  --wait              block until the report job ends; exit 0 only if it completed
  --poll SECONDS      how often --wait asks Slurm (default 10)
  -h, --help          this help

Example:
  scripts/batch_slurm.sh -n 16 --partition cpu --time 2:00:00 --cpus 4 -- \\
      --voc-root /shared/VOC2007 --split test --model /shared/models/resnet50.pt \\
      --methods rise,borex:rise --out /shared/out/voc-test
EOF
}

die() { echo "batch_slurm: $*" >&2; exit 2; }

shards="" borex=${BOREX-} wait=0 poll=10
sbatch_opts=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -n|--shards) [[ $# -ge 2 ]] || die "$1 needs a value"; shards=$2; shift 2 ;;
    --shards=*) shards=${1#--shards=}; shift ;;
    --borex) [[ $# -ge 2 ]] || die "$1 needs a value"; borex=$2; shift 2 ;;
    --borex=*) borex=${1#--borex=}; shift ;;
    --partition) [[ $# -ge 2 ]] || die "$1 needs a value"; sbatch_opts+=(--partition "$2"); shift 2 ;;
    --partition=*) sbatch_opts+=(--partition "${1#--partition=}"); shift ;;
    --time) [[ $# -ge 2 ]] || die "$1 needs a value"; sbatch_opts+=(--time "$2"); shift 2 ;;
    --time=*) sbatch_opts+=(--time "${1#--time=}"); shift ;;
    --cpus) [[ $# -ge 2 ]] || die "$1 needs a value"; cpus=$2; shift 2 ;;
    --cpus=*) cpus=${1#--cpus=}; shift ;;
    --sbatch-opt) [[ $# -ge 2 ]] || die "$1 needs a value"; sbatch_opts+=("$2"); shift 2 ;;
    --sbatch-opt=*) sbatch_opts+=("${1#--sbatch-opt=}"); shift ;;
    --wait) wait=1; shift ;;
    --poll) [[ $# -ge 2 ]] || die "$1 needs a value"; poll=$2; shift 2 ;;
    --poll=*) poll=${1#--poll=}; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option '$1' (batch arguments go after --; see -h)" ;;
  esac
done
batch_args=("$@")
[[ -n $shards ]] || die "-n N (the number of shards) is required; see -h"
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer, not '$shards'"
[[ -z ${cpus-} || $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus wants a positive integer, not '$cpus'"
[[ $poll =~ ^[1-9][0-9]*$ ]] || die "--poll wants a positive integer, not '$poll'"
[[ ${#batch_args[@]} -gt 0 ]] || die "no borex batch arguments (put them after --; see -h)"
command -v sbatch >/dev/null || die "sbatch not found: run this on a Slurm submit host"

[[ -n $borex ]] || borex=$repo/build/borex
if [[ $borex == */* ]]; then
  [[ -x $borex ]] || die "borex executable '$borex' not found (build it, or pass --borex)"
  borex=$(readlink -f "$borex")  # the jobs may start elsewhere: pass an absolute path
else
  # A bare name is looked up on each node's PATH.
  command -v "$borex" >/dev/null || echo "batch_slurm: warning: '$borex' is not on PATH here" >&2
fi

out=""
for ((i = 0; i < ${#batch_args[@]}; ++i)); do
  case ${batch_args[i]} in
    --out) out=${batch_args[i + 1]-} ;;
    --out=*) out=${batch_args[i]#--out=} ;;
    --shard|--shard=*) die "do not pass --shard: the array task ids pick the shards (-n)" ;;
  esac
done
[[ -n $out ]] || die "the batch arguments need --out DIR"
# Slurm does not create the directory of --output; a job whose log cannot be opened fails.
mkdir -p "$out/logs"

parse_id() { local id=${1%%;*}; [[ $id =~ ^[0-9]+$ ]] || die "sbatch said '$1', not a job id"; echo "$id"; }

array_opts=(--array "1-$shards" --job-name borex-batch --output "$out/logs/slurm-%A_%a.out")
[[ -z ${cpus-} ]] || array_opts+=(--cpus-per-task "$cpus")
array_job=$(parse_id "$(sbatch --parsable "${array_opts[@]}" "${sbatch_opts[@]}" \
  "$sbatch_script" --borex "$borex" --shards "$shards" -- "${batch_args[@]}")")
report_job=$(parse_id "$(sbatch --parsable --dependency "afterok:$array_job" \
  --kill-on-invalid-dep=yes --job-name borex-report --output "$out/logs/slurm-report-%j.out" \
  "${sbatch_opts[@]}" "$sbatch_script" --borex "$borex" --report "$out")") || {
  scancel "$array_job" || true
  die "could not submit the report job; cancelled array job $array_job"
}
echo "array_job=$array_job"
echo "report_job=$report_job"
echo "batch_slurm: $shards shards in array job $array_job, report job $report_job; logs in $out/logs/" >&2
[[ $wait -eq 1 ]] || exit 0

# --wait. Job states come from scontrol (no accounting needed), which forgets finished jobs after
# MinJobAge (300 s by default), so poll more often than that; sacct is the fallback.
field() { grep -o "\\b$1=[^ ]*" | head -n 1 | cut -d= -f2; }
job_state() {
  local line
  if line=$(scontrol show job -o "$1" 2>/dev/null) && [[ -n $line ]]; then
    echo "$(field JobState <<<"$line") $(field Reason <<<"$line")"
  elif command -v sacct >/dev/null && line=$(sacct -n -X -P -j "$1" -o State 2>/dev/null | head -n 1) && [[ -n $line ]]; then
    echo "${line%% *} None"
  else
    echo "UNKNOWN None"
  fi
}
array_summary() {
  scontrol show job -o "$array_job" 2>/dev/null | field_all JobState | sort | uniq -c |
    awk '{printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2}'
}
field_all() { grep -o "\\b$1=[^ ]*" | cut -d= -f2; }

last=""
while :; do
  read -r state reason < <(job_state "$report_job")
  case $state in
    PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|"") ;;
    *) break ;;
  esac
  if [[ $reason == DependencyNeverSatisfied ]]; then  # should not last, given --kill-on-invalid-dep
    scancel "$report_job" || true
    state=CANCELLED
    break
  fi
  now="array: $(array_summary); report: $state"
  [[ $now == "$last" ]] || echo "batch_slurm: $now" >&2
  last=$now
  sleep "$poll"
done

failed=0
while read -r line; do
  task=$(field ArrayTaskId <<<"$line") task_state=$(field JobState <<<"$line")
  if [[ $task_state != COMPLETED ]]; then
    failed=1
    log=$out/logs/slurm-${array_job}_$task.out
    echo "batch_slurm: shard $task/$shards: $task_state (exit $(field ExitCode <<<"$line")); last lines of $log:" >&2
    tail -n 3 "$log" 2>/dev/null | sed 's/^/    /' >&2 || true
  fi
done < <(scontrol show job -o "$array_job" 2>/dev/null || true)
if [[ $state != COMPLETED ]]; then
  if [[ $failed -eq 1 ]]; then
    echo "batch_slurm: shards failed, so the report job $report_job was $state; fix the cause and re-run the same command to resume" >&2
  else
    echo "batch_slurm: report job $report_job ended $state; see $out/logs/slurm-report-$report_job.out" >&2
  fi
  exit 1
fi
echo "batch_slurm: done; report job $report_job completed ($out/logs/slurm-report-$report_job.out)" >&2
cat "$out/logs/slurm-report-$report_job.out" 2>/dev/null || true
