#!/usr/bin/env bash
# Peak memory and time of `borex refine --video` with the defaults on a 16x112x112 clip with the
# bundled video model (issue #4: under 2 GB), against a process that only loads the model and
# explains the clip with Grad-CAM++ (one forward and backward pass); each GP in turn, the squares'
# (--gp-over masks) and the pixel field (--gp-over pixels, issue 11's twenty-sixth round). Writes
# nothing outside build/bench. Usage: scripts/bench_video_refine.sh [CLIP] [THREADS]   (after
# scripts/build.sh). ASLR=off runs every measured process with its address space not randomised
# (`setarch --addr-no-randomize`, util-linux): the peak varies by hundreds of MB between identical
# runs with the randomisation and not at all without it (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
clip=${1:-examples/clip_moving}
threads=${2:-$(nproc)}
measured=(/usr/bin/time -v)
[[ ${ASLR:-on} == off ]] && measured=(setarch "$(uname -m)" --addr-no-randomize "${measured[@]}")
model=models/fashion_video_r2plus1d.pt
out=build/bench/video
mkdir -p "$out"
peak_kb() { grep 'Maximum resident set size' "$1" | awk '{print $NF}'; }
"${measured[@]}" build/borex explain --model "$model" --video "$clip" --method gradcam++ \
  --threads "$threads" --out "$out/gradcampp" > /dev/null 2> "$out/explain.time"
echo "explain --method gradcam++ (model load, 1 pass): peak RSS $(peak_kb "$out/explain.time") kB"
for run in 1 2 3; do
  for gp in masks pixels; do
    "${measured[@]}" build/borex refine --model "$model" --video "$clip" --prior-method rise \
      --gp-over "$gp" --threads "$threads" --out "$out/refine" > /dev/null 2> "$out/refine.time"
    /usr/bin/python3 - "$out/refine.json" "$(peak_kb "$out/refine.time")" "$run" "$gp" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = s["timing"]
print(f"refine --gp-over {sys.argv[4]} run {sys.argv[3]}: peak RSS {sys.argv[2]} kB, "
      f"{s['candidates']} candidates, "
      f"{s['model_calls']} model calls, total {t['total_seconds']:.2f} s, model "
      f"{t['model_seconds']:.2f} s, outside the model {t['other_seconds']:.2f} s "
      f"({t['other_seconds'] / t['total_seconds']:.1%})")
PY
  done
done
