#!/usr/bin/env bash
# Issue 11, thirty-eighth round (docs/results.md "refinement38", docs/algorithm.md "Thirty-eighth
# round"; evaluation only, no batch is run): where BOREx(Grad-CAM++)'s top pixels go that
# Grad-CAM++'s do not, on the held-out scenes of both generators (the thirty-fourth and
# thirty-second rounds' maps: run scripts/reproduce_refinement_round34.sh and _round32.sh
# first), and how much each classifier's score rests on the background.
# shares (the default step) and, in the several-item scenes where the model leans on one item,
# the share of that item's box and of the others' in each map's top pixels (items;
# scripts/item_evidence.py, which also prints the thirty-sixth round's lines again); moves: each
# map scored with its background moved last (scripts/deletion_curves.py --background-last), on
# the first 200 held-out scenes of the two shifted classifiers and of the project's first (the
# three steps together: about 17 minutes on 2 cores).
#   scripts/reproduce_refinement_round38.sh [shares] [items] [moves]
set -euo pipefail
steps=${*:-shares}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/five_classifiers.sh"
scripts=$root/scripts
py=/usr/bin/python3

if [[ $steps == *shares* ]]; then
  echo "### Where the top pixels fall: Grad-CAM++ against BOREx(Grad-CAM++) (scripts/rank_bands.py --paired-shares)"
  echo '```'
  for i in 1 2; do
    $py "$scripts/rank_bands.py" --data "$DATA" --paired-shares --distractors 0,0.5 \
      "$root/out/refinement34/model$i-shifted-holdout" gradcam++ borex:gradcam++ | sed "s|$root/||"
  done
  for i in 1 2 3; do
    $py "$scripts/rank_bands.py" --data "$project_data" --paired-shares \
      "$root/out/refinement32/model$i-holdout" gradcam++ borex:gradcam++ | sed "s|$root/||"
  done
  echo '```'
  echo "### How much the score rests on the background (scripts/label_probability.py --background)"
  echo '```'
  for i in 1 2; do
    echo "shifted classifier $i ($(basename "${shifted_models[i - 1]}")), held-out shifted scenes:"
    $py "$scripts/label_probability.py" --data "$DATA" --model "${shifted_models[i - 1]}" \
      --background --distractors 0,0.5 --summary "$root/out/refinement34/model$i-shifted-holdout/gradcam++.csv"
  done
  for i in 1 2; do
    echo "shifted classifier $i, the background another draw of the generator's texture instead:"
    $py "$scripts/label_probability.py" --data "$DATA" --model "${shifted_models[i - 1]}" \
      --background --background-fill texture --distractors 0,0.5 --summary \
      "$root/out/refinement34/model$i-shifted-holdout/gradcam++.csv"
  done
  for i in 1 2 3; do
    echo "project classifier $i ($(basename "${classifiers[i - 1]}")), held-out project scenes:"
    $py "$scripts/label_probability.py" --data "$project_data" --model "${classifiers[i - 1]}" \
      --background --summary "$root/out/refinement32/model$i-holdout/gradcam++.csv"
  done
  echo '```'
fi

if [[ $steps == *items* ]]; then
  echo "### Several-item scenes where the model leans on one item: that item's box and the others' in the top pixels (scripts/item_evidence.py)"
  echo '```'
  holdout_item_evidence gradcam++ borex:gradcam++
  echo '```'
fi

if [[ $steps == *moves* ]]; then
  echo "### Each map with its background moved last (scripts/deletion_curves.py --background-last; the first 200 held-out scenes)"
  echo '```'
  for i in 1 2; do
    run=$root/out/refinement34/model$i-shifted-holdout
    head -200 "$DATA/ImageSets/Main/test_holdout.txt" > "$run/first200.txt"
    echo "${run#"$root"/}:"
    $py "$scripts/deletion_curves.py" --data "$DATA" --model "${shifted_models[i - 1]}" \
      --ids "$run/first200.txt" --background-last 8 --distractors 0,0.5 "$run" gradcam++ borex:gradcam++ |
      grep "background last"
  done
  run=$root/out/refinement32/model1-holdout
  cut -d, -f1 "$run/gradcam++.csv" | sed 1d | sort | head -200 > "$run/first200.txt"
  echo "${run#"$root"/}:"
  $py "$scripts/deletion_curves.py" --data "$project_data" --model "${classifiers[0]}" \
    --ids "$run/first200.txt" --background-last 8 "$run" gradcam++ borex:gradcam++ |
    grep "background last"
  echo '```'
fi
