#!/usr/bin/env bash
# Issue 11's nineteenth round (docs/algorithm.md "Nineteenth round", docs/results.md
# "refinement19"): (1) the prior on the prior's coefficient a ~ N(1, SD²) (--prior-coefficient-sd,
# default 10) at SD = 1 and 3 (a held near the prior at face value) and SD = 100 (a left to the data),
# validation, the three classifiers; (2) the batch CSVs' new image columns (label_items,
# label_probability, label_rank) against an independent computation in Python
# (scripts/label_probability.py), and goal 7's pointing cell split with them.
#   scripts/reproduce_refinement_round19.sh
# Prints the tables of docs/results.md's "refinement19" section. Needs this commit's borex
# (build/borex); about 25 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement19}

measured_round=19  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"

# 1. The coefficient's prior std, validation, the three classifiers.
head_split val 100
for i in 0 1 2; do
  for run in defaults sd1 sd3 sd100; do
    flags=()
    [[ $run != defaults ]] && flags=(--prior-coefficient-sd "${run#sd}")
    preset=kriging model=${classifiers[i]} batch "$out/model$((i + 1))-val-$run" val100 \
      rise,gradcam++,borex:rise,borex:gradcam++ "${kriging_flags[@]}" "${flags[@]}"
  done
done
echo "### The coefficient's prior std (validation): the first round's rule"
quality --summary "${two_priors[@]}" "$out"/model{1,2,3}-val-{defaults,sd1,sd3,sd100}
echo "### The coefficient's prior std (validation): against the priors"
quality "${two_priors[@]}" "$out"/model{1,2,3}-val-sd{1,3,100}
echo "### The coefficient's prior std (validation): against the defaults"
for i in 1 2 3; do
  against_defaults "$out/model$i-val-defaults" "$out"/model$i-val-sd{1,3,100} -- rise gradcam++
done
echo "### Validation: refined maps with a negative prior coefficient"
/usr/bin/python3 "$root/scripts/inverted_maps.py" "$out"/model{1,2,3}-val-{defaults,sd1,sd3,sd100}

# 2. The image columns against scripts/label_probability.py (PIL and torch, not borex), on the
# test split's Grad-CAM++ maps (no RISE: a quick batch), and the pointing cell split with them.
head_split test 500
for i in 0 1 2; do
  run=$out/model$((i + 1))-test-gradcam
  preset=kriging model=${classifiers[i]} batch "$run" test500 gradcam++ "${kriging_flags[@]}"
  probabilities=$out/model$((i + 1))-test-label-probability.csv  # not in the batch directory
  [[ -s $probabilities ]] ||
    /usr/bin/python3 "$root/scripts/label_probability.py" --data "$data" --model "${classifiers[i]}" \
      "$run/gradcam++.csv" > "$probabilities"
  echo "### Classifier $((i + 1)): the batch's image columns against label_probability.py"
  /usr/bin/python3 - "$run/gradcam++.csv" "$probabilities" <<'PY'
import csv, sys
batch = {r["image_id"]: r for r in csv.DictReader(open(sys.argv[1]))}
script = {r["image_id"]: r for r in csv.DictReader(open(sys.argv[2]))}
assert batch.keys() == script.keys()
gap = max(abs(float(batch[i]["label_probability"]) - float(script[i]["probability"])) for i in batch)
items = sum(batch[i]["label_items"] == script[i]["items"] for i in batch)
top = sum((batch[i]["label_rank"] == "1") == (script[i]["correct"] == "1") for i in batch)
print(f"{len(batch)} images: largest |probability difference| {gap:.2e}; items agree on {items}, "
      f"'label is the top class' on {top}")
PY
done

# 3. Goal 7's pointing cell as the eighteenth round split it, now with the image columns of step
# 2's batch instead of the script: the defaults' test maps (the fifteenth and seventeenth rounds'
# runs, when present), single-item scenes, by whether the label is the model's top class.
for i in 0 1 2; do
  run=${default_test_runs[i]}
  [[ -f $run/borex:gradcam++.csv ]] || { echo "(no $run: skipped)"; continue; }
  columns=$out/model$((i + 1))-test-gradcam/gradcam++.csv
  echo "### Classifier $((i + 1)): single-item pointing game, BOREx(Grad-CAM++) worse than Grad-CAM++?"
  for where in "label_rank<2" "label_rank>1"; do
    "$borex" compare "$run/borex:gradcam++.csv" "$run/gradcam++.csv" --metric pointing_hit \
      --alternative less --where "$columns:label_items<2" --where "$columns:$where" 2>&1 |
      grep -E "where|pairs|mean|p-value"
  done
done

# 4. The validation's pick (the first round's rule: SD = 3, no cell worse than the prior on any
# classifier and the highest objective on all three), measured once on the test split: the three
# classifiers with RISE and Grad-CAM++, the two ResNets with Opti-CAM (goal 1's third prior),
# against the priors, against the defaults' test maps (the fifteenth and seventeenth rounds'
# runs) and, for goals 4 and 5, against the code's settings and Grad-CAM++.
opticam_runs=("$root/out/refinement15/test-opticam" "$root/out/refinement15/model2-test-opticam")
for i in 0 1 2; do
  preset=kriging model=${classifiers[i]} batch "$out/model$((i + 1))-test-sd3" test500 \
    rise,gradcam++,borex:rise,borex:gradcam++ "${kriging_flags[@]}" --prior-coefficient-sd 3
done
for i in 0 1; do
  preset=kriging model=${classifiers[i]} batch "$out/model$((i + 1))-test-opticam-sd3" test500 \
    opticam,borex:opticam "${kriging_flags[@]}" --prior-coefficient-sd 3
done
echo "### SD = 3 on the test split: against the priors"
quality "$out"/model{1,2,3}-test-sd3 "$out"/model{1,2}-test-opticam-sd3
echo "### SD = 3 on the test split: against the defaults"
for i in 0 1 2; do
  if [[ -f ${default_test_runs[i]}/borex:rise.csv ]]; then
    against_defaults "${default_test_runs[i]}" "$out/model$((i + 1))-test-sd3" -- rise gradcam++
  fi
done
for i in 0 1; do
  if [[ -f ${opticam_runs[i]}/borex:opticam.csv ]]; then
    against_defaults "${opticam_runs[i]}" "$out/model$((i + 1))-test-opticam-sd3" -- opticam
  fi
done
code=$root/out/refinement15/test-code
if [[ -f $code/borex:rise.csv ]]; then
  echo "### Goal 4: SD = 3 against the code's settings (first classifier)"
  for method in rise gradcam++; do
    cp "$code/borex:$method.csv" "$out/model1-test-sd3/code-borex:$method.csv"
  done
  quality "$out/model1-test-sd3" --pair borex:rise=code-borex:rise \
    --pair borex:gradcam++=code-borex:gradcam++
fi
echo "### Goal 5: BOREx(RISE) with SD = 3 against Grad-CAM++ (test split)"
quality --pair borex:rise=gradcam++ "$out"/model{1,2,3}-test-sd3
