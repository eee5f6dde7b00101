#!/usr/bin/env bash
# Issue 11's twenty-second round (docs/algorithm.md "Twenty-second round", docs/results.md
# "refinement22"): the RISE prior's masks as observations of the field for every image
# (--rise-observations all, "all") instead of only where the prior's top 5% forms several regions
# (the thirteenth round's gate, "regions"), against the twenty-first round's defaults ("avgsd").
# RISE only: the setting acts on a computed RISE prior's samples alone (Grad-CAM++'s and
# Opti-CAM's maps are unchanged by construction; tests/refine/refiner_test.cc).
#   scripts/reproduce_refinement_round22.sh [validation|test]
# (1) validation, the three classifiers; (2) the candidate once on the test split, with the
# defaults' maps beside it and the code's settings (goal 4). Prints the tables of
# docs/results.md's "refinement22" section. Needs this commit's borex (build/borex); validation
# about 10 minutes on 2 cores, the test split about 35 more.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement22}
steps=${1:-validation test}
measured_round=22  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
rise=(--pair borex:rise=rise)

# tables SPLIT: the candidate against RISE and against the defaults' maps, the defaults against
# RISE, how many images' fields read the masks, and the refinement's time, per classifier.
tables() {
  local split=$1 i
  echo "### $split, the candidate (all): against RISE"
  quality "${rise[@]}" "$out"/model{1,2,3}-"$split"-all
  echo "### $split, the defaults (regions): against RISE"
  quality "${rise[@]}" "$out"/model{1,2,3}-"$split"-avgsd
  echo "### $split: the first round's objective (BOREx(RISE) only)"
  quality --summary "${rise[@]}" "$out"/model{1,2,3}-"$split"-{avgsd,all}
  echo "### $split, all against the defaults' maps"
  for i in 1 2 3; do
    against_defaults "$out/model$i-$split-avgsd" "$out/model$i-$split-all" -- rise
  done
  echo "### $split: mean seconds per BOREx(RISE) refinement"
  for i in 1 2 3; do
    /usr/bin/python3 - "$out/model$i-$split"-{avgsd,all} <<'PY'
import csv, statistics, sys
for d in sys.argv[1:]:
    rows = list(csv.DictReader(open(d + "/borex:rise.csv")))
    print(f"{d.rsplit('/', 1)[1]}: {statistics.mean(float(r['seconds']) for r in rows):.3f} s "
          f"({len(rows)} images)")
PY
  done
}

if [[ $steps == *validation* ]]; then
  head_split val 100
  run_batches val val100 rise,borex:rise "avgsd all" 0 1 2
  tables val
fi

if [[ $steps == *test* ]]; then
  head_split test 500
  run_batches test test500 rise,gradcam++,borex:rise "avgsd all" 0 1 2
  tables test
  echo "### Goal 5: BOREx(RISE) against Grad-CAM++ (test split, all)"
  quality --pair borex:rise=gradcam++ "$out"/model{1,2,3}-test-all
  against_code "$out/model1-test-all" "$out/test-code" \
    "Goal 4: all against the code's settings (test split, first classifier)"
fi
