#!/usr/bin/env bash
# Issue 11's twelfth round (docs/algorithm.md "Twelfth round", docs/results.md "refinement12").
#   1. scripts/refinement_configs_round12.txt: the field observed without the flip (99 masks).
#   2. scripts/refinement_controls_round12.txt: the eleventh round's maps with the deletion and
#      insertion substrate blurred instead of black (a diagnostic of the silhouette reading).
#   3. Prototypes that are not options of borex, on validation: the level sets dilated, the final
#      map halfway to its grey dilation, and the RISE prior's own masks and scores as
#      observations of the field (during the search, scaled down, or in the final map only).
#      They need a borex of commit b5cddf3 built with scripts/refinement_prototypes_round12.patch
#      applied, given as PROTOTYPE_BOREX (from the repository's root; the patch does not apply to
#      later commits):
#        git worktree add /tmp/borex12 b5cddf3 &&
#          git -C /tmp/borex12 apply "$PWD/scripts/refinement_prototypes_round12.patch" &&
#          (cd /tmp/borex12 && scripts/build.sh --target borex_cli) &&
#          cp /tmp/borex12/build/borex /tmp/borex-prototype12
#        PROTOTYPE_BOREX=/tmp/borex-prototype12 scripts/reproduce_refinement_round12.sh
#      Without it, steps 3-6 are skipped.
#   Then scripts/deletion_curves.py on the defaults' maps (this round's validation run and the
#   eleventh round's test, held-out and second-classifier runs, OUT11).
#   4-6. The RISE observations on the test split, the second classifier and the held-out scenes
#      (ids 1000-1499), during the search (4, 5) and in the final map only (6).
# Prints the tables of docs/results.md's "refinement12" section. About 1.5 hours on 2 idle cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement12}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}
val_images=${VAL_IMAGES:-100}
for configs in refinement_configs_round12.txt refinement_controls_round12.txt; do
  CONFIGS=$root/scripts/$configs VALIDATION_ONLY=1 OUT=$out VAL_IMAGES=$val_images \
    "$root/scripts/reproduce_refinement.sh"
done

measured_round=12  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
# prototype OUT_DIR SPLIT METHODS [MODEL]: a batch of PROTOTYPE_BOREX at the defaults; the
# caller's BOREX_PROTOTYPE_* variables choose the prototype.
prototype() {
  borex=$PROTOTYPE_BOREX preset=kriging model=${4:-$model} batch "$1" "$2" "$3" \
    --rise-infill mean --gp-over pixels --map-segments 0
}
two_priors=rise,gradcam++,borex:rise,borex:gradcam++
head_split val "$val_images"
runs=(no-flip99)
if [[ -n ${PROTOTYPE_BOREX:-} ]]; then
  for radius in 3 6; do
    BOREX_PROTOTYPE_SET_DILATION=$radius \
      prototype "$out/val-set-dilation$radius" "val$val_images" "$two_priors"
    BOREX_PROTOTYPE_MAP_DILATION=$radius \
      prototype "$out/val-map-dilation$radius" "val$val_images" "$two_priors"
    runs+=("set-dilation$radius" "map-dilation$radius")
  done
  # The RISE prior's own masks and scores as observations of the field; the one prototype that
  # gained on validation, so also measured once on the test split and the second classifier
  # (BOREx(RISE) only: with another prior the prototype would spend 100 more model calls).
  BOREX_PROTOTYPE_RISE_OBSERVATIONS=1 \
    prototype "$out/val-rise-observations" "val$val_images" "$two_priors"
  runs+=(rise-observations)
  # The same with the RISE observations scaled by c (their noise variance sigma_n^2 / c^2).
  for weight in 05 025; do
    BOREX_PROTOTYPE_RISE_OBSERVATIONS=1 BOREX_PROTOTYPE_RISE_WEIGHT=0.${weight#0} \
      prototype "$out/val-rise-observations-weight$weight" "val$val_images" "$two_priors"
    runs+=("rise-observations-weight$weight")
  done
  # The same observations in the final map's GP only, not during the search (after the held-out
  # check; also measured on the test split and the held-out scenes, step 6).
  BOREX_PROTOTYPE_RISE_OBSERVATIONS=final \
    prototype "$out/val-rise-observations-final" "val$val_images" "$two_priors"
  runs+=(rise-observations-final)
fi

echo "### Validation: the first round's rule"
quality --summary "$out/val-defaults" "${runs[@]/#/$out/val-}"
echo "### Against the defaults, image by image"
against_defaults "$out/val-defaults" "${runs[@]/#/$out/val-}" -- rise gradcam++

echo "### Blurred substrate: the eleventh round's maps against the priors, and against the defaults"
quality "$out/val-defaults-blur" "$out/val-raise05-blur" "$out/val-map-segments05-blur"
against_defaults "$out/val-defaults-blur" "$out/val-raise05-blur" "$out/val-map-segments05-blur" \
  -- rise gradcam++

# Where BOREx(RISE)'s deletion differs from RISE's along the curve: the defaults' validation run,
# and the eleventh round's test, held-out and second-classifier runs of the same defaults (their maps are
# kept; OUT11 is that round's output directory).
out11=${OUT11:-$root/out/refinement11}
echo "### Deletion curves: RISE against BOREx(RISE), the defaults"
curves() { /usr/bin/python3 "$root/scripts/deletion_curves.py" --data "$data" --step "$step" "$@"; }
curves --model "$model" "$out/val-defaults" rise borex:rise
if [[ -d $out11/test-defaults ]]; then
  curves --model "$model" "$out11/test-defaults" rise borex:rise
  curves --model "$model" "$out11/holdout-defaults" rise borex:rise
  curves --model "$model2" "$out11/model2-test-defaults" rise borex:rise
fi

# 4. The RISE-observations prototype once on the test split (500 scenes) and the second classifier
# (200), BOREx(RISE) only, against RISE, the defaults (the eleventh round's runs of them) and the
# code's settings (first 200 test scenes).
if [[ -n ${PROTOTYPE_BOREX:-} ]]; then
  head_split test 500
  head_split test 200
  BOREX_PROTOTYPE_RISE_OBSERVATIONS=1 \
    prototype "$out/test-rise-observations" test500 rise,borex:rise
  BOREX_PROTOTYPE_RISE_OBSERVATIONS=1 \
    prototype "$out/model2-test-rise-observations" test200 rise,borex:rise "$model2"
  cp "$out11/test-defaults/borex:rise.csv" "$out/test-rise-observations/previous-borex:rise.csv"
  cp "$out11/test-code/borex:rise.csv" "$out/test-rise-observations/code-borex:rise.csv"
  cp "$out11/model2-test-defaults/borex:rise.csv" \
    "$out/model2-test-rise-observations/previous-borex:rise.csv"
  echo "### The RISE prior's observations, test split and second classifier: against RISE, the defaults, the code's settings"
  quality "$out/test-rise-observations" "$out/model2-test-rise-observations"
  quality "$out/test-rise-observations" --pair borex:rise=previous-borex:rise \
    --pair borex:rise=code-borex:rise
  quality "$out/model2-test-rise-observations" --pair borex:rise=previous-borex:rise
fi

# 5. The same on the held-out test scenes (ids 1000-1499, used once before by the eleventh round's
# check), for both classifiers, with the defaults of the second classifier there too.
if [[ -n ${PROTOTYPE_BOREX:-} ]]; then
  sed -n '1001,1500p' "$data/ImageSets/Main/test.txt" > "$data/ImageSets/Main/test_holdout.txt"
  BOREX_PROTOTYPE_RISE_OBSERVATIONS=1 \
    prototype "$out/holdout-rise-observations" test_holdout rise,borex:rise
  preset=kriging model=$model2 batch "$out/model2-holdout-defaults" test_holdout rise,borex:rise \
    --rise-infill mean --gp-over pixels --map-segments 0
  BOREX_PROTOTYPE_RISE_OBSERVATIONS=1 \
    prototype "$out/model2-holdout-rise-observations" test_holdout rise,borex:rise "$model2"
  cp "$out11/holdout-defaults/borex:rise.csv" "$out/holdout-rise-observations/previous-borex:rise.csv"
  cp "$out/model2-holdout-defaults/borex:rise.csv" \
    "$out/model2-holdout-rise-observations/previous-borex:rise.csv"
  echo "### The RISE prior's observations, held-out scenes, both classifiers: against RISE and the defaults"
  quality "$out/holdout-rise-observations" "$out/model2-holdout-defaults" \
    "$out/model2-holdout-rise-observations"
  quality "$out/holdout-rise-observations" --pair borex:rise=previous-borex:rise
  quality "$out/model2-holdout-rise-observations" --pair borex:rise=previous-borex:rise
fi

# 6. The final-map-only form on the same test, second-classifier and held-out scenes.
# final_form NAME SPLIT DEFAULTS_DIR [MODEL]: its BOREx(RISE), with DEFAULTS_DIR's as previous-*.
final_form() {
  BOREX_PROTOTYPE_RISE_OBSERVATIONS=final prototype "$out/$1" "$2" rise,borex:rise "${4:-$model}"
  cp "$3/borex:rise.csv" "$out/$1/previous-borex:rise.csv"
  quality "$out/$1" --pair borex:rise=rise --pair borex:rise=previous-borex:rise
}
if [[ -n ${PROTOTYPE_BOREX:-} ]]; then
  echo "### The RISE prior's observations in the final map only: against RISE and the defaults"
  final_form test-rise-observations-final test500 "$out11/test-defaults"
  final_form model2-test-rise-observations-final test200 "$out11/model2-test-defaults" "$model2"
  final_form holdout-rise-observations-final test_holdout "$out11/holdout-defaults"
  final_form model2-holdout-rise-observations-final test_holdout "$out/model2-holdout-defaults" \
    "$model2"
fi
