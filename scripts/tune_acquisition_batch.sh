#!/usr/bin/env bash
# Issue 12: quality and time of the refinement against --acquisition-batch Q (GP-BUCB), on the
# validation split. For each Q in $QS, one batch of rise, gradcam++ and their refinements with
# the defaults and --acquisition-batch Q, one image at a time (--images-in-flight 1); then
# scripts/acquisition_batch_table.py compares every Q with Q = 1, image by image.
#
#   scripts/tune_acquisition_batch.sh                 # 100 validation scenes, Q = 1 2 4 8 16
#   VAL_IMAGES=30 QS="1 4" scripts/tune_acquisition_batch.sh
#
# Environment: as scripts/scene_benchmark.sh (BOREX, DATA, JOBS, SEED, STEP, PRESET: default
# kriging here), OUT (default out/acquisition_batch), VAL_IMAGES (100), QS, MODEL (default the
# bundled classifier). Resumable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PRESET=${PRESET:-kriging}
source "$root/scripts/scene_benchmark.sh"
model=${MODEL:-$model}
out=${OUT:-$root/out/acquisition_batch}
val_images=${VAL_IMAGES:-100}
qs=${QS:-1 2 4 8 16}
mkdir -p "$out"
head_split val "$val_images"
dirs=()
for q in $qs; do
  batch "$out/q$q" "val$val_images" rise,gradcam++,borex:rise,borex:gradcam++ \
    --acquisition-batch "$q" --images-in-flight 1
  dirs+=("q$q=$out/q$q")
done
/usr/bin/python3 "$root/scripts/acquisition_batch_table.py" "${dirs[@]}"
