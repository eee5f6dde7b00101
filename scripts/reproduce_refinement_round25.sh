#!/usr/bin/env bash
# Issue 11's twenty-fifth round (docs/algorithm.md "Twenty-fifth round", docs/results.md
# "refinement25"): the clips' final map (the squares' GP) averaged over σf² by marginal likelihood
# ("avg", --average-hyperparameters) against the maximum-likelihood σf² ("ml",
# --no-average-hyperparameters), the kriging preset with RISE's mean in-fill, on the video
# benchmark's clips: (1) the first 40 validation clips; (2) the first 200 test clips, once.
#   scripts/reproduce_refinement_round25.sh [validation|test]
# Prints the comparisons of docs/results.md's "refinement25" section; validation about 5 minutes
# on 2 cores, the test split about 20 more. Not adopted, so not in borex: the prototype is a borex
# of commit 0be5acc built with scripts/refinement_prototypes_round25.patch applied, given as
# PROTOTYPE_BOREX (from the repository's root; the patch is not in that commit):
#   git worktree add /tmp/borex25 0be5acc &&
#     git -C /tmp/borex25 apply "$PWD/scripts/refinement_prototypes_round25.patch" &&
#     (cd /tmp/borex25 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex25/build/borex /tmp/borex-prototype25
#   PROTOTYPE_BOREX=/tmp/borex-prototype25 scripts/reproduce_refinement_round25.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round25: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }
borex=$PROTOTYPE_BOREX
data=${DATA:-$root/data/video_clips}
out=${OUT:-$root/out/refinement25}
steps=${1:-validation test}
model=$root/models/fashion_video_r2plus1d.pt

[[ -f $data/splits/test.txt ]] ||
  /usr/bin/python3 "$root/scripts/make_video_clips.py" --out "$data" --seed 0

# run SPLIT COUNT RUN METHODS FLAG: the kriging batch $out/RUN-SPLITCOUNT of METHODS over the first
# COUNT clips of SPLIT, two shards of one thread.
run() {
  local split=$1 count=$2 run=$3 methods=$4 flag=$5 dir k pids=()
  dir=$out/$run-$split$count
  head -n "$count" "$data/splits/$split.txt" > "$data/splits/$split$count.txt"
  [[ -f $dir/summary.json ]] && return
  mkdir -p "$dir"
  for k in 1 2; do
    "$borex" batch --model "$model" --video-root "$data" --split "$split$count" \
      --methods "$methods" --seed 0 --step 7168 --preset kriging --rise-infill mean "$flag" \
      --threads 1 --shard "$k/2" --out "$dir" > "$dir/shard-$k.log" 2>&1 &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k"; done
  "$borex" report "$dir" --json "$dir/summary.json" > /dev/null
}

# tables SPLITCOUNT: avg against ml and both against the priors (ml's batch computed them; the
# priors are deterministic), clip by clip, both one-sided p.
tables() {
  local set=$1 prior metric a b
  echo "### $set: avg against ml, and each against its prior (p better, p worse)"
  echo "| compared | metric | mean | mean other | p better | p worse |"
  echo "|---|---|---:|---:|---:|---:|"
  for prior in rise gradcam++; do
    for pair in "avg/borex:$prior ml/borex:$prior" "avg/borex:$prior ml/$prior" \
      "ml/borex:$prior ml/$prior"; do
      read -r a b <<< "$pair"
      for metric in insertion deletion f_measure; do
        /usr/bin/python3 - "$out/${a%%/*}-$set/${a#*/}.csv" "$out/${b%%/*}-$set/${b#*/}.csv" \
          "$metric" "$a vs $b" "$borex" <<'PY'
import json, subprocess, sys, tempfile
a, b, metric, name, borex = sys.argv[1:]
p = {}
for alternative in ("greater", "less"):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([borex, "compare", a, b, "--metric", metric, "--alternative", alternative,
                        "--json", f.name], capture_output=True, check=True)
        p[alternative] = json.load(open(f.name))
better, worse = ("less", "greater") if metric == "deletion" else ("greater", "less")
j = p[better]
print(f"| {name} | {metric} | {j['mean_a']:.4f} | {j['mean_b']:.4f} | {j['p_value']:.3g} | "
      f"{p[worse]['p_value']:.3g} |")
PY
      done
    done
  done
}

if [[ $steps == *validation* ]]; then
  run val 40 ml rise,gradcam++,borex:rise,borex:gradcam++ --no-average-hyperparameters
  run val 40 avg rise,gradcam++,borex:rise,borex:gradcam++ --average-hyperparameters
  tables val40
fi
if [[ $steps == *test* ]]; then
  run test 200 ml rise,gradcam++,borex:rise,borex:gradcam++ --no-average-hyperparameters
  run test 200 avg borex:rise,borex:gradcam++ --average-hyperparameters
  tables test200
fi
