#!/usr/bin/env bash
# Issue 11, thirty-eighth round (docs/results.md "refinement38", docs/algorithm.md "Thirty-eighth
# round"; evaluation only, no batch is run): where BOREx(Grad-CAM++)'s top pixels go that
# Grad-CAM++'s do not, on the held-out scenes of both generators (the thirty-fourth and
# thirty-second rounds' maps: run scripts/reproduce_refinement_round34.sh and _round32.sh
# first), and how much each classifier's score rests on the background.
#   scripts/reproduce_refinement_round38.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/five_classifiers.sh"
scripts=$root/scripts
py=/usr/bin/python3

echo "### Where the top pixels fall: Grad-CAM++ against BOREx(Grad-CAM++) (scripts/rank_bands.py --paired-shares)"
echo '```'
for i in 1 2; do
  $py "$scripts/rank_bands.py" --data "$DATA" --paired-shares --distractors 0,0.5 \
    "$root/out/refinement34/model$i-shifted-holdout" gradcam++ borex:gradcam++
done
for i in 1 2 3; do
  $py "$scripts/rank_bands.py" --data "$project_data" --paired-shares \
    "$root/out/refinement32/model$i-holdout" gradcam++ borex:gradcam++
done
echo '```'
echo "### How much the score rests on the background (scripts/label_probability.py --background)"
echo '```'
for i in 1 2; do
  echo "shifted classifier $i ($(basename "${shifted_models[i - 1]}")), held-out shifted scenes:"
  $py "$scripts/label_probability.py" --data "$DATA" --model "${shifted_models[i - 1]}" \
    --background --distractors 0,0.5 --summary "$root/out/refinement34/model$i-shifted-holdout/gradcam++.csv"
done
for i in 1 2 3; do
  echo "project classifier $i ($(basename "${classifiers[i - 1]}")), held-out project scenes:"
  $py "$scripts/label_probability.py" --data "$project_data" --model "${classifiers[i - 1]}" \
    --background --summary "$root/out/refinement32/model$i-holdout/gradcam++.csv"
done
echo '```'
