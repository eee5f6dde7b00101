#!/usr/bin/env bash
# Measures issue 5's methods on the Fashion-MNIST scene benchmark with the bundled model and
# writes their section of docs/results.md (between the "methods" markers; the other sections are
# kept): (1) how the in-fill changes RISE and BOREx(RISE) maps and their metrics, (2) Opti-CAM and
# FIDO (SSR, SDR) next to Grad-CAM++ and RISE, alone and as BOREx priors, (3) the undesirable-pixel
# maps under the hide-top check.
#
#   scripts/reproduce_methods_table.sh      # about 35 minutes on 2 cores
#   INFILL_IMAGES=10 METHOD_IMAGES=4 UNDESIRABLE_IMAGES=4 scripts/reproduce_methods_table.sh
#
# Environment: BOREX (binary, default build/borex), DATA (default data/scenes, generated with
# scripts/make_scenes.py when absent), OUT (default out/methods), JOBS (shards, default: cores),
# INFILL_IMAGES (50), METHOD_IMAGES (30), UNDESIRABLE_IMAGES (30), SEED (0), STEP (256). Images
# are the first N of the test split. Resumable, as every borex batch.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/methods}
infill_images=${INFILL_IMAGES:-50}
method_images=${METHOD_IMAGES:-30}
undesirable_images=${UNDESIRABLE_IMAGES:-30}
source "$root/scripts/scene_benchmark.sh"
mkdir -p "$out"
for n in "$infill_images" "$method_images" "$undesirable_images"; do head_split test "$n"; done

# 1. In-fill: RISE's masks and BOREx's observations hide pixels with X; the metrics are computed
# with X as the substrate ("own") and with black ("black", the BOREx paper's yardstick).
for infill in black mean blur noise inpaint; do
  batch "$out/infill-$infill-own" "test$infill_images" rise,borex:rise \
    --rise-infill "$infill" --refine-infill "$infill" --infill "$infill"
  [[ $infill == black ]] && continue
  batch "$out/infill-$infill-black" "test$infill_images" rise,borex:rise \
    --rise-infill "$infill" --refine-infill "$infill" --infill black
done

# 2. The optimising methods with their defaults (black in-fill), and as BOREx priors.
batch "$out/methods" "test$method_images" \
  rise,gradcam++,opticam,fido-ssr,fido-sdr,borex:opticam,borex:fido-ssr
batch "$out/methods-blur" "test$method_images" fido-ssr,fido-sdr --rise-infill blur

# 3. Undesirable pixels: hide the top 10% of each map and record the target's score change.
und=$out/undesirable
mkdir -p "$und"
while read -r id; do
  [[ -f $und/$id.rise.json ]] && continue
  image=$data/JPEGImages/$id.png
  [[ -f $image ]] || image=$data/JPEGImages/$id.jpg
  "$borex" explain --model "$model" --image "$image" --method undesirable --masks 1000 \
    --seed "$seed" --out "$und/$id" >/dev/null
  "$borex" explain --model "$model" --image "$image" --method rise --masks 1000 --seed "$seed" \
    --out "$und/$id.rise-map" >/dev/null
  for map in hinder others; do
    "$borex" evaluate --model "$model" --image "$image" --saliency "$und/${id}_$map.npy" \
      --json "$und/$id.$map.json" >/dev/null
  done
  "$borex" evaluate --model "$model" --image "$image" --saliency "$und/$id.rise-map.npy" \
    --json "$und/$id.rise.json.tmp" >/dev/null
  mv "$und/$id.rise.json.tmp" "$und/$id.rise.json"
done < "$data/ImageSets/Main/test$undesirable_images.txt"

# 4. The section of docs/results.md.
results=$root/docs/results.md
/usr/bin/python3 "$root/scripts/methods_results_markdown.py" --out-dir "$out" \
  --infill-images "$infill_images" --method-images "$method_images" \
  --undesirable-images "$undesirable_images" --seed "$seed" --step "$step" --jobs "$jobs" \
  > "$out/section.md"
/usr/bin/python3 - "$results" "$out/section.md" <<'PY'
import sys
path, section = sys.argv[1], open(sys.argv[2]).read().strip()
begin, end = "<!-- methods:begin -->", "<!-- methods:end -->"
text = open(path).read() if __import__("os").path.exists(path) else ""
block = f"{begin}\n{section}\n{end}"
if begin in text:
    text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
open(path + ".tmp", "w").write(text)
PY
mv "$results.tmp" "$results"
echo "reproduce: wrote the methods section of docs/results.md" >&2
