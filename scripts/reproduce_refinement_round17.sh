#!/usr/bin/env bash
# Issue 11's seventeenth round (docs/algorithm.md "Seventeenth round", docs/results.md
# "refinement17"): whether the number of observations moves the second classifier's deletion
# (25 and 100 instead of 50, validation, both classifiers), the inverted maps counted from the
# batch CSVs' new prior_coefficient column, and the sixteenth round's rank bands recomputed with
# scripts/rank_bands.py as corrected (its boxes had been one pixel off).
#   scripts/reproduce_refinement_round17.sh
# Prints the tables of docs/results.md's "refinement17" section. Needs this commit's borex
# (build/borex) and, for step 3, the fifteenth round's saved test maps (out/refinement15: run
# scripts/reproduce_refinement_round15.sh first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement17}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}

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
