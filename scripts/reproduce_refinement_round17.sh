#!/usr/bin/env bash
# Issue 11's seventeenth round (docs/algorithm.md "Seventeenth round", docs/results.md
# "refinement17"): whether the number of observations moves the second classifier's deletion
# (25 and 100 instead of 50, validation, both classifiers), the inverted maps counted from the
# batch CSVs' new prior_coefficient column, and the sixteenth round's rank bands recomputed with
# scripts/rank_bands.py as corrected (its boxes had been one pixel off); and goals 1 and 2 on a
# third classifier, of another architecture (no shortcuts), with the defaults as they are.
#   scripts/reproduce_refinement_round17.sh
# Prints the tables of docs/results.md's "refinement17" section. Needs this commit's borex
# (build/borex) and, for step 3, the fifteenth round's saved test maps (out/refinement15: run
# scripts/reproduce_refinement_round15.sh first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement17}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}
# The third classifier, of another architecture (step 4; trained when absent, about 40 minutes
# on 2 cores).
model3=${MODEL3:-$root/models/fashion_scenes_plaincnn.pt}

measured_round=17  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
defaults_flags=(--rise-infill mean --gp-over pixels --map-segments 0)
methods=rise,gradcam++,borex:rise,borex:gradcam++
two_priors=(--pair "borex:rise=rise" --pair "borex:gradcam++=gradcam++")
# run OUT_DIR MODEL [FLAGS...]: a batch on val100 at the defaults, with FLAGS added.
run() {
  local dir=$1 file=$2
  shift 2
  preset=kriging model=$file batch "$dir" val100 "$methods" "${defaults_flags[@]}" "$@"
}
head_split val 100

# 1. Validation, both classifiers: the defaults' 50 observations (100 model calls), 25 (50 calls)
# and 100 (200 calls, over goal 6's budget: a diagnostic, not a candidate).
counts=(25 100)
for prefix in "" model2-; do
  file=$model
  [[ -n $prefix ]] && file=$model2
  run "$out/${prefix}val-defaults" "$file"
  for count in "${counts[@]}"; do
    run "$out/${prefix}val-it$count" "$file" --iterations "$count"
  done
done
echo "### Validation: the number of observations, the first round's rule (both classifiers)"
quality --summary "${two_priors[@]}" "$out/val-defaults" "${counts[@]/#/$out/val-it}"
quality --summary "${two_priors[@]}" "$out/model2-val-defaults" "${counts[@]/#/$out/model2-val-it}"
echo "### Validation: the number of observations against the priors"
quality "${two_priors[@]}" "$out/val-defaults" "${counts[@]/#/$out/val-it}" \
  "$out/model2-val-defaults" "${counts[@]/#/$out/model2-val-it}"
echo "### Validation: the number of observations against the defaults"
against_defaults "$out/val-defaults" "${counts[@]/#/$out/val-it}" -- rise gradcam++
against_defaults "$out/model2-val-defaults" "${counts[@]/#/$out/model2-val-it}" -- rise gradcam++
echo "### Validation: seconds per refinement (the CSVs' seconds column; not a benchmark)"
for dir in "$out"/{,model2-}val-{defaults,it25,it100}; do
  for method in borex:rise borex:gradcam++; do
    awk -F, -v run="${dir##*/}" -v method="$method" '
      NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i; next }
      { s += $c; n++ } END { printf "%s %s: %.3f s over %d images\n", run, method, s / n, n }
    ' "$dir/$method.csv"
  done
done

# 2. The refined maps that hold their prior upside down, now read from the CSVs' prior_coefficient
# column (the sixteenth round had to use the maps' correlation with their prior).
echo "### Validation: refined maps with a negative prior coefficient"
/usr/bin/python3 "$root/scripts/inverted_maps.py" "$out"/{,model2-}val-{defaults,it25,it100}

# 3. The sixteenth round's step 1, with rank_bands.py corrected: where the ranks fall in the
# single-item test scenes whose gate stays closed (the fifteenth round's maps).
echo "### Where the ranks fall: inside the items' boxes and in the ring around them (corrected)"
for run in test-defaults model2-test-defaults; do
  /usr/bin/python3 "$root/scripts/rank_bands.py" --data "$data" \
    --ids "$root/out/refinement15/$run/single-closed.txt" "$root/out/refinement15/$run" \
    rise borex:rise
done

# 4. Goals 1 and 2 with the defaults on a third classifier, of another architecture (the test
# split, 500 scenes; the three priors of goal 1).
head_split test 500
if [[ ! -f $model3 ]]; then
  mkdir -p "$(dirname "$model3")"
  /usr/bin/python3 "$root/scripts/train_scene_classifier.py" --data "$data" --out "$model3" \
    --arch plain --seed 0
fi
preset=kriging model=$model3 batch "$out/model3-test-defaults" test500 \
  rise,gradcam++,opticam,borex:rise,borex:gradcam++,borex:opticam "${defaults_flags[@]}"
echo "### Goals 1 and 2 on the third classifier (another architecture; test split, 500 scenes)"
quality "$out/model3-test-defaults"
echo "### The third classifier's refined maps with a negative prior coefficient (test split)"
/usr/bin/python3 "$root/scripts/inverted_maps.py" "$out/model3-test-defaults"
echo "### The third classifier's single-item pointing game: the scenes where the two maps differ"
/usr/bin/python3 - "$root/scripts" "$data" "$out/model3-test-defaults" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from refine_quality import item_count, read
data, run = sys.argv[2], sys.argv[3]
refined, prior = read(run + "/borex:gradcam++.csv"), read(run + "/gradcam++.csv")
cells = {"BOREx(Grad-CAM++) misses, Grad-CAM++ hits": [], "BOREx(Grad-CAM++) hits, Grad-CAM++ misses": []}
for image_id, row in refined.items():
    if item_count(data, image_id) != 1:
        continue
    hits = float(row["pointing_hit"]), float(prior[image_id]["pointing_hit"])
    if hits != (hits[0], hits[0]):
        key = list(cells)[0] if hits == (0.0, 1.0) else list(cells)[1]
        cells[key].append(float(row["prior_coefficient"]) < 0)
for key, inverted in cells.items():
    print(f"{key}: {len(inverted)} single-item scenes, {sum(inverted)} with a < 0")
PY
