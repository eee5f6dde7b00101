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
echo "### Goal 1's single-item pointing cell for Grad-CAM++, by whether the model recognises the label (its top class)"
echo '```'
for i in 1 2; do
  dir=$out/model$i-shifted-holdout
  for where in "label_rank<2" "label_rank>1"; do
    "$borex" compare "$dir/borex:gradcam++.csv" "$dir/gradcam++.csv" --metric pointing_hit \
      --alternative less --where "$dir/gradcam++.csv:label_items<2" \
      --where "$dir/gradcam++.csv:$where" 2>&1 | grep -E "where: .*rank|pairs|mean|p-value" |
      sed "s|$root/||"
  done
  # The single-item scenes where the two disagree: how many refined maps hold the prior upside
  # down (a < 0, the sixteenth round's inverted maps).
  /usr/bin/python3 - "$dir" <<'PY'
import csv, sys
run = sys.argv[1]
refined = {r["image_id"]: r for r in csv.DictReader(open(f"{run}/borex:gradcam++.csv"))}
prior = {r["image_id"]: r for r in csv.DictReader(open(f"{run}/gradcam++.csv"))}
for outcome, hit in (("lost", "0"), ("gained", "1")):
    ids = [i for i, r in refined.items() if r["label_items"] == "1" and r["pointing_hit"] == hit
           and prior[i]["pointing_hit"] != hit]
    recognised = sum(refined[i]["label_rank"] == "1" for i in ids)
    inverted = sum(float(refined[i]["prior_coefficient"]) < 0 for i in ids)
    print(f"{run.rsplit('/', 1)[-1]}: {outcome} {len(ids)} single-item scenes, {recognised} of them "
          f"recognised, {inverted} with a < 0")
PY
done
echo '```'
echo "### Several-item scenes: how the top pixels spread over the items (scripts/rank_bands.py --item-shares)"
echo '```'
for i in 1 2; do
  /usr/bin/python3 "$root/scripts/rank_bands.py" --item-shares --data "$data" \
    "$out/model$i-shifted-holdout" gradcam++ borex:gradcam++ rise borex:rise | sed "s|$root/||"
done
echo '```'
echo "### Several-item scenes: what the model says about each item, and which item the maps favour (scripts/item_evidence.py)"
echo '```'
for i in 1 2; do
  item_evidence "$data" "${shifted_models[i - 1]}" "$out/model$i-shifted-holdout" gradcam++ \
    borex:gradcam++
done
echo '```'
