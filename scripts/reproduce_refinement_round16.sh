#!/usr/bin/env bash
# Issue 11's sixteenth round (docs/algorithm.md "Sixteenth round", docs/results.md
# "refinement16"): changes of the final map aimed at the fifteenth round's halo (an edge-aware
# covariance, the final length scale, the prior's coefficient kept ≥ 0), and where the second
# classifier's deletion and pointing cells are decided.
# The prototype is a borex of commit e03bd9d built with scripts/refinement_prototypes_round16.patch
# applied, given as PROTOTYPE_BOREX (from the repository's root; the patch is not in that commit):
#   git worktree add /tmp/borex16 e03bd9d &&
#     git -C /tmp/borex16 apply "$PWD/scripts/refinement_prototypes_round16.patch" &&
#     (cd /tmp/borex16 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex16/build/borex /tmp/borex-prototype16
#   PROTOTYPE_BOREX=/tmp/borex-prototype16 scripts/reproduce_refinement_round16.sh
# Prints the tables of docs/results.md's "refinement16" section.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement16}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round16: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }

measured_round=16  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
defaults_flags=(--rise-infill mean --gp-over pixels --map-segments 0)
methods=rise,gradcam++,borex:rise,borex:gradcam++
# Steps 2 and 3 compare RISE and Grad-CAM++ (the first round's rule); step 5 adds Opti-CAM to the
# same directories.
two_priors=(--pair "borex:rise=rise" --pair "borex:gradcam++=gradcam++")
# defaults OUT_DIR SPLIT [MODEL]: a batch of this build's borex at its defaults.
defaults() {
  preset=kriging model=${3:-$model} batch "$1" "$2" "$methods" "${defaults_flags[@]}"
}
# prototype OUT_DIR SPLIT SETTING [MODEL]: the prototype with SETTING (VARIABLE=VALUE) in its
# environment: BOREX_PROTOTYPE_EDGE_RHO=ρ (the edge-aware final map), BOREX_PROTOTYPE_FINAL_LS
# (the final map's length scale: a factor, or ml, the factor of maximum marginal likelihood),
# BOREX_PROTOTYPE_SHRINK_Z=z (the deviation soft-thresholded by z posterior sd per cell) or
# BOREX_PROTOTYPE_NONNEGATIVE=1 (the final map's prior coefficient kept ≥ 0).
prototype() {
  (export "${3?}" && borex=$PROTOTYPE_BOREX preset=kriging model=${4:-$model} \
    batch "$1" "$2" "$methods" "${defaults_flags[@]}")
}
head_split test 500
head_split val 100

# 1. Where the refined map's ranks fall around the items (the halo): the share of each band of
# ranks inside an item's box and in the 8-pixel ring around it, single-item scenes whose gate
# stays closed (the fifteenth round's list), both classifiers.
echo "### Where the ranks fall: inside the items' boxes and in the ring around them"
for run in test-defaults model2-test-defaults; do
  /usr/bin/python3 "$root/scripts/rank_bands.py" --data "$data" \
    --ids "$root/out/refinement15/$run/single-closed.txt" "$root/out/refinement15/$run" \
    rise borex:rise
done

# 2. Validation, both classifiers: the defaults and ρ = 0, 0.25, 0.5.
rhos=(0 0.25 0.5)
defaults "$out/val-defaults" val100
defaults "$out/model2-val-defaults" val100 "$model2"
for rho in "${rhos[@]}"; do
  prototype "$out/val-edge$rho" val100 "BOREX_PROTOTYPE_EDGE_RHO=$rho"
  prototype "$out/model2-val-edge$rho" val100 "BOREX_PROTOTYPE_EDGE_RHO=$rho" "$model2"
done
echo "### Validation: the first round's rule, first classifier"
quality --summary "${two_priors[@]}" "$out/val-defaults" "${rhos[@]/#/$out/val-edge}"
echo "### Validation: the first round's rule, second classifier"
quality --summary "${two_priors[@]}" "$out/model2-val-defaults" "${rhos[@]/#/$out/model2-val-edge}"
echo "### Validation: against the priors"
quality "${two_priors[@]}" "$out/val-defaults" "${rhos[@]/#/$out/val-edge}" \
  "$out/model2-val-defaults" "${rhos[@]/#/$out/model2-val-edge}"
echo "### Validation: against the defaults"
against_defaults "$out/val-defaults" "${rhos[@]/#/$out/val-edge}" -- rise gradcam++
against_defaults "$out/model2-val-defaults" "${rhos[@]/#/$out/model2-val-edge}" -- rise gradcam++
echo "### Validation: where BOREx(RISE)'s ranks fall with the edge-aware map (ρ = 0)"
for run in val-defaults val-edge0 model2-val-defaults model2-val-edge0; do
  /usr/bin/python3 "$root/scripts/rank_bands.py" --data "$data" "$out/$run" borex:rise
done

# 3. Validation, both classifiers: the final map's length scale (the search's unchanged) halved,
# doubled, or of maximum marginal likelihood, jointly with σf², per image.
lengths=(ml 0.5 2)
for length in "${lengths[@]}"; do
  prototype "$out/val-ls$length" val100 "BOREX_PROTOTYPE_FINAL_LS=$length"
  prototype "$out/model2-val-ls$length" val100 "BOREX_PROTOTYPE_FINAL_LS=$length" "$model2"
done
echo "### Validation: the final map's length scale, the first round's rule (both classifiers)"
quality --summary "${two_priors[@]}" "$out/val-defaults" "${lengths[@]/#/$out/val-ls}"
quality --summary "${two_priors[@]}" "$out/model2-val-defaults" "${lengths[@]/#/$out/model2-val-ls}"
echo "### Validation: the final map's length scale against the priors and against the defaults"
quality "${lengths[@]/#/$out/val-ls}" "${lengths[@]/#/$out/model2-val-ls}"
against_defaults "$out/val-defaults" "${lengths[@]/#/$out/val-ls}" -- rise gradcam++
against_defaults "$out/model2-val-defaults" "${lengths[@]/#/$out/model2-val-ls}" -- rise gradcam++

# 4. The refined maps that hold their prior upside down (the fitted coefficient a < 0), on the test
# split of both classifiers (the fifteenth round's maps): how many, and what they do to the
# metrics against the prior.
echo "### Refined maps anticorrelated with their prior (a < 0), test split"
/usr/bin/python3 "$root/scripts/inverted_maps.py" \
  "$root"/out/refinement15/{test-defaults,model2-test-defaults,test-opticam,model2-test-opticam}

# 5. Validation, both classifiers, the three priors: the final map's prior coefficient kept ≥ 0.
methods=$methods,opticam,borex:opticam
defaults "$out/val-defaults" val100
defaults "$out/model2-val-defaults" val100 "$model2"
prototype "$out/val-nonnegative" val100 BOREX_PROTOTYPE_NONNEGATIVE=1
prototype "$out/model2-val-nonnegative" val100 BOREX_PROTOTYPE_NONNEGATIVE=1 "$model2"
echo "### Validation: the prior's coefficient kept ≥ 0, the first round's rule (both classifiers)"
quality --summary "$out/val-defaults" "$out/val-nonnegative"
quality --summary "$out/model2-val-defaults" "$out/model2-val-nonnegative"
echo "### Validation: the prior's coefficient kept ≥ 0 against the priors and the defaults"
quality "$out/val-nonnegative" "$out/model2-val-nonnegative"
against_defaults "$out/val-defaults" "$out/val-nonnegative" -- rise gradcam++ opticam
against_defaults "$out/model2-val-defaults" "$out/model2-val-nonnegative" -- rise gradcam++ opticam

# 6. Which part of BOREx(RISE)'s deletion order wins or loses against RISE's, image by image, on
# the test split of both classifiers (the fifteenth round's maps): the refined map's first K
# pixels followed by RISE's order of the rest, K = 256, 1024, 2048 (one, four and eight
# deletion steps).
echo "### BOREx(RISE)'s head with RISE's tail, against RISE (test split)"
for run in test-defaults model2-test-defaults; do
  file=$model
  [[ $run == model2-* ]] && file=$model2
  /usr/bin/python3 "$root/scripts/deletion_curves.py" --data "$data" --model "$file" \
    --splice 256,1024,2048 "$root/out/refinement15/$run" rise borex:rise
done

# 7. The first round's rule's pick among steps 2, 3 and 5 (the halved final length scale: the
# highest objective with no cell worse than the prior), once on the test split of both
# classifiers, against the priors and against the defaults (the fifteenth round's test runs).
prototype "$out/test-ls0.5" test500 BOREX_PROTOTYPE_FINAL_LS=0.5
prototype "$out/model2-test-ls0.5" test500 BOREX_PROTOTYPE_FINAL_LS=0.5 "$model2"
echo "### The halved final length scale on the test split: against the priors"
quality "$out/test-ls0.5" "$out/model2-test-ls0.5"
echo "### The halved final length scale on the test split: against the defaults"
against_defaults "$root/out/refinement15/test-defaults" "$out/test-ls0.5" -- rise gradcam++
against_defaults "$root/out/refinement15/model2-test-defaults" "$out/model2-test-ls0.5" \
  -- rise gradcam++
