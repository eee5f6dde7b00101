#!/usr/bin/env bash
# Issue 11's fourteenth round (docs/algorithm.md "Fourteenth round", docs/results.md
# "refinement14"): how many of a RISE prior's masks the field reads (--rise-observation-limit).
# The thirteenth round's default read every mask of the prior: 100 with the default prior, but
# a prior of 1000 or 4000 masks (RISE's own count) made each its field's observation, and the
# field's time grows with their square. This script measures, on the validation split of both
# classifiers with a 1000-mask RISE prior, the field reading none of the masks (off), the first
# 100 (the default), the first 300 and all 1000, each image by image against `off` and `all`,
# with the batch's own seconds per refinement; then one refinement of the quick start's scene with
# a 4000-mask prior, its wall time and peak memory, at the default limit and with all masks.
# With the default prior (100 masks) the limit changes nothing (the tests check it bit for bit).
# Step 3: where the deletion lost to a 1000-mask prior comes from (variants of the field).
# Step 4, only with PROTOTYPE_BOREX: a stricter gate (each of the prior's regions at least 15% or
# 20% of its top 5%, instead of a tenth), validation only, against the defaults' maps of the
# thirteenth round's script (out/refinement13). The prototype is a borex of commit 5baca59 built
# with scripts/refinement_prototypes_round14.patch (from the repository's root; the patch is
# not in that commit):
#   git worktree add /tmp/proto14 5baca59 &&
#     git -C /tmp/proto14 apply "$PWD/scripts/refinement_prototypes_round14.patch" &&
#     (cd /tmp/proto14 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/proto14/build/borex /tmp/borex-prototype14
#   PROTOTYPE_BOREX=/tmp/borex-prototype14 scripts/reproduce_refinement_round14.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement14}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}
val_images=${VAL_IMAGES:-100}
masks=${MASKS:-1000}

measured_round=14  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
defaults_flags=(--rise-infill mean --gp-over pixels --map-segments 0)
# run OUT_DIR LIMIT|off [MODEL]: BOREx(RISE) at the defaults with a $masks-mask RISE prior.
run() {
  local setting=(--rise-observation-limit "$2")
  [[ $2 == off ]] && setting=(--rise-observations off)
  preset=kriging model=${3:-$model} batch "$1" "$val" rise,borex:rise "${defaults_flags[@]}" \
    --masks "$masks" "${setting[@]}"
}
# against BASE_DIR NAME DIR...: each DIR's BOREx(RISE) against BASE_DIR's (copied in as NAME).
against() {
  local base=$1 name=$2 dir
  shift 2
  for dir in "$@"; do
    cp "$base/borex:rise.csv" "$dir/$name.csv"
    quality "$dir" --pair "borex:rise=$name"
  done
}
seconds() {
  /usr/bin/python3 - "$@" <<'PY'
import csv, statistics, sys
for run in sys.argv[1:]:
    rows = list(csv.DictReader(open(run + "/borex:rise.csv")))
    seconds = [float(row["seconds"]) for row in rows]
    print(f"{run.rsplit('/', 1)[-1]}: mean {statistics.mean(seconds):.3f} s, "
          f"median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s "
          f"over {len(seconds)} images")
PY
}

head_split val "$val_images"
val=val$val_images
limits=(off 100 300 0)
for classifier in model1 model2; do
  file=$model
  [[ $classifier == model2 ]] && file=$model2
  for limit in "${limits[@]}"; do run "$out/$classifier-val-limit$limit" "$limit" "$file"; done
  dirs=("${limits[@]/#/$out/$classifier-val-limit}")
  echo "### $classifier, validation, RISE prior of $masks masks: against RISE"
  quality "${dirs[@]}"
  echo "### $classifier: against the field without the masks (off), image by image"
  against "$out/$classifier-val-limitoff" off-borex:rise "${dirs[@]:1}"
  echo "### $classifier: against the field with all $masks masks, image by image"
  against "$out/$classifier-val-limit0" all-borex:rise "${dirs[@]:1:2}"
  echo "### $classifier: seconds per BOREx(RISE) refinement (the batch's own measurement)"
  seconds "${dirs[@]}"
done

# Where the gate opens with the 1000-mask prior (its top 5% in several regions), against the
# scenes' item counts.
echo "### The gate on the 1000-mask RISE maps (validation)"
/usr/bin/python3 "$root/scripts/prior_regions.py" --data "$data" --fractions 0.05 \
  "$out/model1-val-limitoff" "$out/model2-val-limitoff"

# One refinement with a 4000-mask prior (RISE's own count), the quick start's scene.
echo "### refine, examples/scene_multi.png, RISE prior of 4000 masks"
for limit in 100 0; do
  /usr/bin/time -f "limit $limit: %e s wall, %M KB peak" "$borex" refine \
    --model "$model" --image "$root/examples/scene_multi.png" --seed 0 --masks 4000 \
    --rise-observation-limit "$limit" --out "$out/refine4000-limit$limit" 2>&1 | tail -n 1
done

# 3. Where the deletion lost to a 1000-mask prior comes from (first classifier, masks off):
# 4 observations instead of 50; no level sets (squares only); the final map's signal variance
# not fitted; and the default 100-mask prior with 4 observations, for comparison.
diagnose() {
  local dir=$1
  shift
  preset=kriging batch "$out/$dir" "$val" rise,borex:rise "${defaults_flags[@]}" \
    --rise-observations off "$@"
}
diagnose model1-val-limitoff-iter4 --masks "$masks" --iterations 4
diagnose model1-val-limitoff-nosets --masks "$masks" --prior-level-sets none \
  --posterior-level-sets none
diagnose model1-val-limitoff-nofit --masks "$masks" --no-fit-signal-variance
diagnose model1-val-masks100-off-iter4 --iterations 4
echo "### The deletion lost to a $masks-mask prior: BOREx(RISE) against RISE, variants (model1)"
quality "$out/model1-val-limitoff" "$out/model1-val-limitoff-iter4" \
  "$out/model1-val-limitoff-nosets" "$out/model1-val-limitoff-nofit" \
  "$out/model1-val-masks100-off-iter4"

# 4. A stricter gate (prototype): the prior's regions must each hold 15% or 20% of its top 5%.
[[ -n ${PROTOTYPE_BOREX:-} ]] || exit 0
round13=${ROUND13:-$root/out/refinement13}
[[ -f $round13/val-defaults/gradcam++.csv && -f $round13/model2-val-multi005/borex:rise.csv ]] ||
  { echo "round14: step 4 needs scripts/reproduce_refinement_round13.sh's outputs in $round13" >&2
    exit 1; }
for share in 0.2 0.15; do
  for classifier in model1 model2; do
    file=$model dir=$out/val-share$share
    [[ $classifier == model2 ]] && file=$model2 dir=$out/model2-val-share$share
    BOREX_PROTOTYPE_RISE_SHARE=$share borex=$PROTOTYPE_BOREX preset=kriging model=$file \
      batch "$dir" "$val" rise,borex:rise "${defaults_flags[@]}"
  done
  # The defaults' maps: the thirteenth round's multi005 (today's default, bit for bit), and its
  # Grad-CAM++ rows for the first round's objective.
  cp "$round13/val-defaults/gradcam++.csv" "$round13/val-defaults/borex:gradcam++.csv" \
    "$out/val-share$share/"
  cp "$round13/val-multi005/borex:rise.csv" "$out/val-share$share/previous-borex:rise.csv"
  cp "$round13/model2-val-multi005/borex:rise.csv" \
    "$out/model2-val-share$share/previous-borex:rise.csv"
done
echo "### Where the stricter gates open (the RISE prior's maps, validation, both classifiers)"
for share in 0.1 0.15 0.2; do
  /usr/bin/python3 "$root/scripts/prior_regions.py" --data "$data" --fractions 0.05 \
    --share "$share" "$round13/val-defaults" "$round13/model2-val-defaults"
done
echo "### A stricter gate, validation: the first round's objective (defaults: round 13's multi005)"
cp "$round13/val-defaults/gradcam++.csv" "$round13/val-defaults/borex:gradcam++.csv" \
  "$round13/val-multi005/"
quality --summary "$round13/val-multi005" "$out/val-share0.2" "$out/val-share0.15"
echo "### A stricter gate against the defaults, image by image (both classifiers)"
for dir in val-share0.2 val-share0.15 model2-val-share0.2 model2-val-share0.15; do
  quality "$out/$dir" --pair borex:rise=previous-borex:rise
done
echo "### Second classifier: BOREx(RISE) insertion + F - deletion"
/usr/bin/python3 - "$round13/model2-val-multi005" "$out/model2-val-share0.2" \
  "$out/model2-val-share0.15" <<'PY'
import csv, statistics, sys
for run in sys.argv[1:]:
    rows = list(csv.DictReader(open(run + "/borex:rise.csv")))
    mean = lambda key: statistics.mean(float(row[key]) for row in rows)
    print(f"{run.rsplit('/', 1)[-1]}: {mean('insertion') + mean('f_measure') - mean('deletion'):.4f}")
PY
