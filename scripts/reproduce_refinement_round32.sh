#!/usr/bin/env bash
# Issue 11, thirty-second round (evaluation only; docs/results.md "refinement32"): goals 1, 2 and 7
# replicated with today's defaults on 500 held-out scenes of the project's generator (lines
# 1001-1500 of its test list, ids 1000-1499; the test split's goals are measured on the first 500),
# for the three project classifiers: RISE, Grad-CAM++ and their refinements, each refinement
# against its prior (goals 1 and 2) and BOREx(RISE) against Grad-CAM++ (goal 5). Nothing here
# changes a default: the question is whether goal 2's deletion cell on the second and third
# classifiers (test split p = 0.39 and 0.0014, < 0.001 asked) repeats on other scenes.
# Env: BOREX, JOBS, SEED, STEP as in scene_benchmark.sh; OUT (default out/refinement32).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement32}
source "$root/scripts/scene_benchmark.sh"
sed -n '1001,1500p' "$data/ImageSets/Main/test.txt" > "$data/ImageSets/Main/test_holdout.txt"
two_priors=(--pair "borex:rise=rise" --pair "borex:gradcam++=gradcam++")
for k in 1 2 3; do
  preset=kriging rise_infill=mean gp_over=pixels model=${classifiers[k - 1]} \
    batch "$out/model$k-holdout" test_holdout rise,gradcam++,borex:rise,borex:gradcam++
done
echo "### Goals 1 and 2: the defaults against the priors (held-out scenes, three classifiers)"
quality "${two_priors[@]}" "$out"/model{1,2,3}-holdout
echo "### Goal 5: BOREx(RISE) against Grad-CAM++ (held-out scenes)"
quality --pair borex:rise=gradcam++ "$out"/model{1,2,3}-holdout
