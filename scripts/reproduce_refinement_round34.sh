#!/usr/bin/env bash
# Issue 11, thirty-fourth round (evaluation only; docs/results.md "refinement34"): the second scene
# generator's goals replicated with today's defaults on 500 held-out scenes (lines 301-800 of its
# test list; the twenty-eighth round measured the first 300), for its two classifiers (the ResNet
# and the plain CNN, trained on its own train split): RISE, Grad-CAM++ and their refinements, each
# refinement against its prior (goals 1-3), BOREx(RISE) against Grad-CAM++ (goal 5), and the
# defaults against --preset code (goal 4). Nothing here changes a default: the question is which
# of the twenty-eighth round's cells (several of them near p = 0.05) are effects and which chance.
# Env: BOREX, JOBS, SEED, STEP as in scene_benchmark.sh; OUT (default out/refinement34).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement34}
source "$root/scripts/shifted_scenes.sh"
source "$root/scripts/scene_benchmark.sh"
sed -n '301,800p' "$data/ImageSets/Main/test.txt" > "$data/ImageSets/Main/test_holdout.txt"
for i in 1 2; do
  preset=kriging rise_infill=mean gp_over=pixels model=${shifted_models[i - 1]} \
    batch "$out/model$i-shifted-holdout" test_holdout rise,gradcam++,borex:rise,borex:gradcam++
done
echo "### Goals 1-3 on the held-out shifted scenes: the defaults against the priors"
quality "${two_priors[@]}" "$out"/model{1,2}-shifted-holdout
echo "### Goal 5 on the held-out shifted scenes: BOREx(RISE) against Grad-CAM++"
quality --pair borex:rise=gradcam++ "$out"/model{1,2}-shifted-holdout
for i in 1 2; do
  model=${shifted_models[i - 1]} against_code "$out/model$i-shifted-holdout" \
    "$out/model$i-shifted-holdout-code" \
    "Goal 4 on the held-out shifted scenes: the defaults against the code's settings (model $i)" \
    test_holdout
done
