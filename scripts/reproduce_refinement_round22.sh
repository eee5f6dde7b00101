#!/usr/bin/env bash
# Issue 11's twenty-second round (docs/algorithm.md "Twenty-second round", docs/results.md
# "refinement22"): the RISE prior's masks as observations of the field for every image
# (--rise-observations all, "all") instead of only where the prior's top 5% forms several regions
# (the thirteenth round's gate, "regions"), against the twenty-first round's defaults ("avgsd").
# RISE only: the setting acts on a computed RISE prior's samples alone (Grad-CAM++'s and
# Opti-CAM's maps are unchanged by construction; tests/refine/refiner_test.cc).
#   scripts/reproduce_refinement_round22.sh [validation|pins]
# (1) validation, the three classifiers (the rule written before the round sent the candidate to
# the test split only if it passed there; it did not, and the test split was not run); (2) pins:
# one configuration each of the second, seventh, tenth and seventeenth rounds rerun by today's
# borex through scene_benchmark.sh's pins of the defaults adopted since, to compare with the
# objectives those rounds published. Prints the tables of docs/results.md's "refinement22" section. Needs this
# commit's borex (build/borex); validation about 10 minutes on 2 cores, pins about 15.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement22}
steps=${1:-validation pins}
measured_round=22  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
rise=(--pair borex:rise=rise)

# tables: the candidate against RISE and against the defaults' maps, the defaults against RISE,
# and the refinement's mean time, per classifier (validation).
tables() {
  local split=val i
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
  tables
fi

if [[ $steps == *pins* ]]; then
  head_split val 100
  # pinned NAME ROUND FLAGS...: a batch of ROUND's configuration, RISE and Grad-CAM++, first
  # classifier, and its objective.
  pinned() {
    local name=$1 round=$2
    shift 2
    measured_round=$round preset=kriging batch "$out/pins-$name" val100 \
      rise,gradcam++,borex:rise,borex:gradcam++ "$@"
  }
  pinned round2-defaults 2
  pinned round7-pixels 7 --rise-infill mean --gp-over pixels --level-set-segments 0 \
    --posterior-level-sets none --noise 0.01 --prior-level-sets none
  pinned round10-defaults 10 --rise-infill mean --gp-over pixels --map-segments 0
  pinned round17-defaults 17 --rise-infill mean --gp-over pixels --map-segments 0
  echo "### Earlier rounds rerun with the defaults adopted since pinned back (validation)"
  quality --summary "${two_priors[@]}" "$out"/pins-round{2-defaults,7-pixels,10-defaults,17-defaults}
fi
