#!/usr/bin/env bash
# Issue 11, third round: the in-fill of the prior's masks. RISE's authors' code and the BOREx
# authors' prior multiply the normalised image by the masks, so hidden pixels become the model's
# mean colour; borex's RISE used black. The candidates of scripts/refinement_configs_round3.txt
# on the validation split (BOREx(RISE) and BOREx(Grad-CAM++), reproduce_refinement.sh's rule),
# Opti-CAM's in-fill (black against mean, which RISE's flag also sets) on validation, then the
# chosen default, RISE with the mean colour, once on the test split against the previous
# default (RISE with black; both refined with today's kriging defaults), on the second
# classifier, and against the authors' code's settings (--preset code) with the same prior;
# writes the "refinement3" section of docs/results.md (between its markers).
#
#   scripts/reproduce_refinement_round3.sh     # about 1 hour on 2 idle cores
#
# Environment: as scripts/reproduce_refinement.sh (BOREX, DATA, JOBS, SEED, STEP, OUT, default
# out/refinement3, TEST_IMAGES 500, SMALL_TEST_IMAGES 200, MODEL2), SECTION_ONLY (set: only
# rewrite the section from the runs already in OUT). Resumable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement3}
test_images=${TEST_IMAGES:-500}
val_images=${VAL_IMAGES:-100}
small_test_images=${SMALL_TEST_IMAGES:-200}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}
measured_round=3  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
preset=kriging  # every batch here refines with the defaults (but --preset code below)
head_split test "$test_images"
head_split test "$small_test_images"
head_split val "$val_images"
# once OUT_DIR SPLIT METHODS [flags...]: batch, unless OUT_DIR already holds every method's merged
# CSV (runs of the previous defaults copied from an earlier round's OUT count as done).
once() {
  local method
  for method in ${3//,/ }; do
    [[ -f $1/$method.csv ]] || { batch "$@"; return; }
  done
}
[[ -f $model2 ]] || { echo "reproduce: $model2 not found: run scripts/reproduce_refinement.sh" \
  "first (it trains the second classifier)" >&2; exit 1; }

if [[ -z ${SECTION_ONLY:-} ]]; then
  # 1. Validation: the previous defaults, the candidate, and Opti-CAM's in-fill.
  once "$out/val-previous" "val$val_images" rise,gradcam++,borex:rise,borex:gradcam++ \
    --rise-infill black
  CONFIGS=$root/scripts/refinement_configs_round3.txt VALIDATION_ONLY=1 OUT=$out \
    "$root/scripts/reproduce_refinement.sh"
  for infill in black mean; do
    once "$out/val-opticam-$infill" "val$val_images" opticam,borex:opticam --rise-infill "$infill"
  done

  # 2. Test split, once: the chosen default against the previous one, the same images.
  once "$out/test-previous" "test$test_images" rise,gradcam++,borex:rise --rise-infill black
  batch "$out/test-chosen" "test$test_images" rise,borex:rise --rise-infill mean

  # 3. The second classifier (seed 1), the first SMALL_TEST_IMAGES test scenes.
  model=$model2 once "$out/model2-test-previous" "test$small_test_images" rise,borex:rise \
    --rise-infill black
  model=$model2 batch "$out/model2-test-chosen" "test$small_test_images" rise,borex:rise \
    --rise-infill mean

  # 4. The authors' code's settings with the same prior (issue 11's goal 4).
  preset=code batch "$out/test-code" "test$small_test_images" borex:rise --rise-infill mean
fi  # SECTION_ONLY

# 5. The section of docs/results.md.
for dir in test model2-test; do
  for method in rise borex:rise; do
    cp "$out/$dir-previous/$method.csv" "$out/$dir-chosen/previous-$method.csv"
  done
done
cp "$out/test-previous/gradcam++.csv" "$out/test-chosen/"
cp "$out/test-code/borex:rise.csv" "$out/test-chosen/code-borex:rise.csv"
section=$out/refinement3.md
{
  echo "## Refinement, third round (issue 11): the RISE prior's in-fill"
  echo
  echo "Written by \`scripts/reproduce_refinement_round3.sh\` (validation $val_images scenes," \
    "test $test_images scenes, second model $small_test_images, seed $seed, metric step $step," \
    "$jobs shards). Cells as in the sections above: mean of the first map / mean of the other," \
    "one-sided Wilcoxon p that the first is better, p that it is worse."
  echo
  echo "### Validation split: RISE's in-fill (refined by the defaults)"
  echo
  quality --summary "$out/val-previous" "$out/val-rise-infill-mean"
  echo
  quality "$out/val-previous" "$out/val-rise-infill-mean"
  echo
  echo "### Validation split: Opti-CAM's in-fill"
  echo
  quality --summary "$out/val-opticam-black" "$out/val-opticam-mean"
  echo
  quality "$out/val-opticam-black" "$out/val-opticam-mean"
  echo
  echo "### Test split, measured once: BOREx(RISE) against RISE, both with the mean colour"
  echo
  quality "$out/test-chosen" "$out/test-previous"
  echo
  echo "### Test split: the new default against the previous, image by image; goal 5; goal 4"
  echo
  echo "\`previous-X\`: RISE with black (the previous default); \`gradcam++\`: goal 5;" \
    "\`code-borex:rise\`: \`--preset code\` refining the same prior, the first" \
    "$small_test_images test scenes (goal 4)."
  echo
  quality "$out/test-chosen" --pair rise=previous-rise --pair borex:rise=previous-borex:rise \
    --pair borex:rise=gradcam++ --pair borex:rise=code-borex:rise
  echo
  echo "### The second classifier (seed 1)"
  echo
  quality "$out/model2-test-chosen" "$out/model2-test-previous"
  echo
  quality "$out/model2-test-chosen" --pair rise=previous-rise \
    --pair borex:rise=previous-borex:rise
  echo
  cat "$root/docs/results-refinement3-discussion.md"
} > "$section"
/usr/bin/python3 "$root/scripts/replace_results_section.py" refinement3 "$root/docs/results.md" \
  "$section"
echo "reproduce_refinement_round3: wrote the refinement3 section of docs/results.md" >&2
