#!/usr/bin/env bash
# Issue 11's eighteenth round (docs/algorithm.md "Eighteenth round", docs/results.md
# "refinement18"): what decides goal 7's deletion cell. The defaults unchanged: (1) goal 2 on the
# test split of the three classifiers with the blurred image as the deletion and insertion
# substrate instead of black; (2) the observations made with black instead of the model's mean
# colour (--bo-infill black), validation, both ResNets; (3) the refined map's first pixels, then
# a random order of the rest, against RISE on the black substrate (the test split's saved maps);
# (4) the pointing game's cell split by whether the model's top class is the label.
#   scripts/reproduce_refinement_round18.sh
# Prints the tables of docs/results.md's "refinement18" section. Needs this commit's borex
# (build/borex), and for steps 1 and 3 the defaults' test maps of the fifteenth and seventeenth
# rounds (out/refinement15, out/refinement17: run scripts/reproduce_refinement_round15.sh and
# ..._round17.sh first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement18}

measured_round=18  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"

# 1. Goal 2 with the blurred substrate (RISE's own insertion substrate: removed pixels leave no
# shape), the three classifiers, the test split; the black substrate's rows for comparison.
head_split test 500
for i in 0 1 2; do
  preset=kriging model=${classifiers[i]} batch "$out/model$((i + 1))-test-blur" test500 \
    rise,borex:rise "${kriging_flags[@]}" --substrate blur
done
echo "### Goal 2 with the blurred substrate (test split, 500 scenes, three classifiers)"
quality --pair "borex:rise=rise" "$out"/model{1,2,3}-test-blur
echo "### The same maps' runs on the black substrate"
quality --pair "borex:rise=rise" "${default_test_runs[@]}"

# 2. The observations in-filled with black, the deletion metric's substrate (validation).
head_split val 100
for i in 0 1; do
  for run in defaults bo-black; do
    flags=()
    [[ $run == bo-black ]] && flags=(--bo-infill black)
    preset=kriging model=${classifiers[i]} batch "$out/model$((i + 1))-val-$run" val100 \
      rise,gradcam++,borex:rise,borex:gradcam++ "${kriging_flags[@]}" "${flags[@]}"
  done
done
echo "### Observations in-filled with black (validation): the first round's rule"
quality --summary "${two_priors[@]}" "$out"/model{1,2}-val-{defaults,bo-black}
echo "### Observations in-filled with black (validation): against the priors"
quality "${two_priors[@]}" "$out"/model{1,2}-val-bo-black
echo "### Observations in-filled with black (validation): against the defaults"
against_defaults "$out/model1-val-defaults" "$out/model1-val-bo-black" -- rise gradcam++
against_defaults "$out/model2-val-defaults" "$out/model2-val-bo-black" -- rise gradcam++

# 3. The refined map's head, then a random order of the rest (a scattered removal that carries no
# information), against RISE on the black substrate; the third classifier also with RISE's tail
# (the sixteenth round measured the first two).
for i in 0 1 2; do
  echo "### Classifier $((i + 1)): BOREx(RISE)'s first pixels, then a random order (test split)"
  /usr/bin/python3 "$root/scripts/deletion_curves.py" --data "$data" --model "${classifiers[i]}" \
    "${default_test_runs[i]}" rise borex:rise --splice 1024 --splice-tail random --seed 0
done
echo "### Classifier 3: BOREx(RISE)'s first pixels, then RISE's order (test split)"
/usr/bin/python3 "$root/scripts/deletion_curves.py" --data "$data" --model "${classifiers[2]}" \
  "${default_test_runs[2]}" rise borex:rise --splice 1024

# 4. Goal 7's pointing cell (BOREx(Grad-CAM++)'s single-item pointing game against Grad-CAM++'s),
# split by whether the model's top class on the whole image is the label
# (scripts/label_probability.py, new).
for i in 0 1 2; do
  run=${default_test_runs[i]}
  probabilities=$out/model$((i + 1))-test-label-probability.csv
  /usr/bin/python3 "$root/scripts/label_probability.py" --data "$data" --model "${classifiers[i]}" \
    "$run/rise.csv" > "$probabilities"
  echo "### Classifier $((i + 1)): single-item pointing game, BOREx(Grad-CAM++) worse than Grad-CAM++?"
  for where in "correct>0" "correct<1"; do
    "$borex" compare "$run/borex:gradcam++.csv" "$run/gradcam++.csv" --metric pointing_hit \
      --alternative less --where "$probabilities:items<2" --where "$probabilities:$where" 2>&1 |
      grep -E "where|pairs|mean|p-value"
  done
done
