#!/usr/bin/env bash
# Measures issue 5's methods on the Fashion-MNIST scene benchmark with the bundled model and
# writes their section of docs/results.md (between the "methods" markers; the other sections are
# kept): (1) how the in-fill changes RISE and BOREx(RISE) maps and their metrics, (2) Opti-CAM and
# FIDO (SSR, SDR) next to Grad-CAM++ and RISE, alone and as BOREx priors, (3) the undesirable-pixel
# maps under the hide-top check.
#
#   scripts/reproduce_methods_table.sh      # about an hour on 2 cores
#   INFILL_IMAGES=10 METHOD_IMAGES=4 BLUR_IMAGES=2 UNDESIRABLE_IMAGES=4 \
#     scripts/reproduce_methods_table.sh    # a smaller run
#
# Environment: BOREX (binary, default build/borex), DATA (default data/scenes, generated with
# scripts/make_scenes.py when absent), OUT (default out/methods), JOBS (shards, default: cores),
# INFILL_IMAGES (50), METHOD_IMAGES (30), BLUR_IMAGES (16: FIDO with the blur in-fill),
# UNDESIRABLE_IMAGES (30), SEED (0), STEP (256). Images
# are the first N of the test split. Resumable, as every borex batch.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/methods}
infill_images=${INFILL_IMAGES:-50}
method_images=${METHOD_IMAGES:-30}
blur_images=${BLUR_IMAGES:-16}
undesirable_images=${UNDESIRABLE_IMAGES:-30}
source "$root/scripts/scene_benchmark.sh"
mkdir -p "$out"
for n in "$infill_images" "$method_images" "$blur_images" "$undesirable_images"; do
  head_split test "$n"
done

# 1. In-fill: RISE's masks and BOREx's observations hide pixels with X; the metrics are computed
# with X as the substrate ("own") and with black ("black", the BOREx paper's yardstick).
for infill in black mean blur noise inpaint; do
  batch "$out/infill-$infill-own" "test$infill_images" rise,borex:rise \
    --rise-infill "$infill" --bo-infill "$infill" --substrate "$infill"
  [[ $infill == black ]] && continue
  batch "$out/infill-$infill-black" "test$infill_images" rise,borex:rise \
    --rise-infill "$infill" --bo-infill "$infill" --substrate black
done

# 2. The optimising methods with their defaults (black in-fill), and as BOREx priors.
batch "$out/methods" "test$method_images" \
  rise,gradcam++,opticam,fido-ssr,fido-sdr,borex:opticam,borex:fido-ssr
batch "$out/methods-blur" "test$blur_images" fido-ssr,fido-sdr --rise-infill blur

# 3. Undesirable pixels: hide the top 10% of each map and record the label's score change; for
# the model's top-1 class, and, in scenes with several items, for another item's class (whose
# probability has room to rise when what hinders it is hidden).
und=$out/undesirable
mkdir -p "$und"
undesirable() {  # undesirable ID IMAGE NAME [--label CLASS]: both maps, RISE's, and their metrics
  local id=$1 image=$2 name=$3
  shift 3
  [[ -f $und/$name.rise.json ]] && return 0
  "$borex" explain --model "$model" --image "$image" --method undesirable --masks 1000 \
    --seed "$seed" "$@" --out "$und/$name" >/dev/null
  "$borex" explain --model "$model" --image "$image" --method rise --masks 1000 --seed "$seed" \
    "$@" --out "$und/$name.rise-map" >/dev/null
  for map in hinder others; do
    "$borex" evaluate --model "$model" --image "$image" --saliency "$und/${name}_$map.npy" "$@" \
      --json "$und/$name.$map.json" >/dev/null
  done
  "$borex" evaluate --model "$model" --image "$image" --saliency "$und/$name.rise-map.npy" "$@" \
    --json "$und/$name.rise.json.tmp" >/dev/null
  mv "$und/$name.rise.json.tmp" "$und/$name.rise.json"
}
while read -r id; do
  image=$data/JPEGImages/$id.png
  undesirable "$id" "$image" "$id"
  # Another annotated class than the top-1 one, if the scene has one.
  other=$(/usr/bin/python3 -c '
import json, re, sys
top = json.load(open(sys.argv[2]))["class_name"]
names = re.findall(r"<name>([^<]*)</name>", open(sys.argv[1]).read())
print(next((n for n in names if n != top), ""))' "$data/Annotations/$id.xml" "$und/$id.json")
  [[ -n $other ]] && undesirable "$id" "$image" "$id.other" --label "$other"
done < "$data/ImageSets/Main/test$undesirable_images.txt"

# 4. The section of docs/results.md.
results=$root/docs/results.md
/usr/bin/python3 "$root/scripts/methods_results_markdown.py" --out-dir "$out" \
  --infill-images "$infill_images" --method-images "$method_images" --blur-images "$blur_images" \
  --undesirable-images "$undesirable_images" --seed "$seed" --step "$step" --jobs "$jobs" \
  > "$out/section.md"
/usr/bin/python3 "$root/scripts/replace_results_section.py" methods "$results" "$out/section.md"
echo "reproduce: wrote the methods section of docs/results.md" >&2
