#!/usr/bin/env bash
# Issue 11, thirty-seventh round (exploratory, validation only; docs/results.md "refinement37",
# docs/algorithm.md "Thirty-seventh round"): can a setting borex ships meet goal 1's Grad-CAM++
# cells on the second generator (the thirty-fourth round's failures), and at what cost? The
# nineteenth round's tighter prior on the prior's coefficient a (SD 3 and 1, held fixed) raised
# BOREx(Grad-CAM++)'s F-measure and pointing game on the project and cost insertion. Here on the
# shifted classifiers' first 300 validation scenes, against Grad-CAM++ and against the defaults'
# maps of the thirty-sixth round (run scripts/reproduce_refinement_round36.sh validation first).
# Nothing is adopted. Env: BOREX, JOBS, SEED, STEP as in scene_benchmark.sh; OUT (default
# out/refinement37).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement37}
source "$root/scripts/five_classifiers.sh"
defaults=$root/out/refinement36
for run in shifted1 shifted2; do
  for sd in 3 1; do
    dir=$out/$run-val-sd$sd
    preset=kriging rise_infill=mean gp_over=pixels model=$(model_of "$run-val") data=$DATA \
      batch "$dir" val300 borex:gradcam++ --no-fit-prior-coefficient-sd --prior-coefficient-sd "$sd"
    cp "$defaults/$run-val-defaults/gradcam++.csv" "$dir/"
  done
done
echo "### Against Grad-CAM++ (goal 1's cells): the defaults, SD 3, SD 1"
data=$DATA quality --pair borex:gradcam++=gradcam++ "$defaults/shifted1-val-defaults" \
  "$out"/shifted1-val-sd{3,1} "$defaults/shifted2-val-defaults" "$out"/shifted2-val-sd{3,1}
echo "### Against the defaults' BOREx(Grad-CAM++)"
for run in shifted1 shifted2; do
  data=$DATA against_defaults "$defaults/$run-val-defaults" "$out/$run-val-sd"{3,1} -- gradcam++
done
