#!/usr/bin/env bash
# Issue 11, sixth round: the prior's coefficient bounded below by 0
# (--nonnegative-prior-coefficient; not adopted). The candidate of
# scripts/refinement_configs_round6.txt on the validation split (reproduce_refinement.sh's rule),
# then once on the test split with RISE and Grad-CAM++ and on the second classifier, each
# refined map against its prior and, image by image, against the defaults (the same settings
# without the bound: the runs of the second and third rounds, copied from their OUT
# directories, or made here when those are absent). Prints the tables that docs/results.md's
# "refinement6" section quotes.
#
#   scripts/reproduce_refinement_round6.sh     # about 30 minutes on 2 idle cores
#
# Environment: as scripts/reproduce_refinement.sh (BOREX, DATA, JOBS, SEED, STEP, OUT, default
# out/refinement6, TEST_IMAGES 500, SMALL_TEST_IMAGES 200, MODEL2), ROUND2 and ROUND3 (the
# earlier rounds' OUT, default out/refinement2 and out/refinement3). Resumable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement6}
test_images=${TEST_IMAGES:-500}
val_images=${VAL_IMAGES:-100}
small_test_images=${SMALL_TEST_IMAGES:-200}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}
round2=${ROUND2:-$root/out/refinement2}
round3=${ROUND3:-$root/out/refinement3}
measured_round=6  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
preset=kriging rise_infill=mean  # today's defaults, plus the bound where named
head_split test "$test_images"
head_split test "$small_test_images"
head_split val "$val_images"
methods=rise,gradcam++,borex:rise,borex:gradcam++
# previous DIR SPLIT ROUND2_DIR ROUND3_DIR: the defaults' borex:rise (third round) and
# borex:gradcam++ (second round; the third changed RISE only) as previous-*.csv in DIR, or a run
# of the defaults when they are absent.
previous() {
  local dir=$1 split=$2 from2=$3 from3=$4 method
  if [[ -f $from3/borex:rise.csv && -f $from2/borex:gradcam++.csv ]]; then
    cp "$from3/borex:rise.csv" "$dir/previous-borex:rise.csv"
    cp "$from2/borex:gradcam++.csv" "$dir/previous-borex:gradcam++.csv"
  else
    batch "$dir-previous" "$split" "$methods"
    for method in borex:rise borex:gradcam++; do
      cp "$dir-previous/$method.csv" "$dir/previous-$method.csv"
    done
  fi
}

# 1. Validation.
CONFIGS=$root/scripts/refinement_configs_round6.txt VALIDATION_ONLY=1 OUT=$out \
  "$root/scripts/reproduce_refinement.sh"
val=$out/val-nonnegative-prior-coefficient
previous "$val" "val$val_images" "$round2/val-infill-mean" "$round3/val-rise-infill-mean"

# 2. Test split, once; 3. the second classifier.
bound=--nonnegative-prior-coefficient
batch "$out/test-bound" "test$test_images" "$methods" "$bound"
previous "$out/test-bound" "test$test_images" "$round2/test-chosen" "$round3/test-chosen"
model=$model2 batch "$out/model2-test-bound" "test$small_test_images" "$methods" "$bound"
model=$model2 previous "$out/model2-test-bound" "test$small_test_images" \
  "$round2/model2-test-chosen" "$round3/model2-test-chosen"

pairs=(--pair borex:rise=previous-borex:rise --pair borex:gradcam++=previous-borex:gradcam++)
for dir in "$val" "$out/test-bound" "$out/model2-test-bound"; do
  echo "### $(basename "$dir"): against the priors"
  quality --summary "$dir"
  quality "$dir"
  echo "### $(basename "$dir"): against the previous default, image by image"
  quality "$dir" "${pairs[@]}"
done
