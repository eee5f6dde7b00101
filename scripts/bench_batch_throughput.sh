#!/usr/bin/env bash
# Issue 12: refinement time per image in `borex batch`, the defaults against one observation per
# model call and one image at a time (--acquisition-batch 1 --images-in-flight 1), one process
# after the other on the same machine, the bundled scene model, the first N test scenes. The
# time per image is the CSV's `seconds` of each refining method (its own GP work plus its share
# of the forward passes); quality is compared image by image (scripts/acquisition_batch_table.py).
#
#   scripts/bench_batch_throughput.sh                # 100 scenes, 2 threads, K = 1 2 4
#   IMAGES=30 KS="1 2" scripts/bench_batch_throughput.sh
#
# Environment: BOREX (build/borex), DATA (data/scenes, generated when absent), OUT
# (out/bench_throughput), IMAGES (100), THREADS (2), KS (the --images-in-flight values tried at
# the default Q), STEP (256, the metrics' step).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
borex=${BOREX:-$root/build/borex}
data=${DATA:-$root/data/scenes}
out=${OUT:-$root/out/bench_throughput}
images=${IMAGES:-100}
threads=${THREADS:-2}
ks=${KS:-1 2 4}
step=${STEP:-256}
model=$root/models/fashion_scenes_resnet.pt
methods=gradcam++,borex:gradcam++,borex:gradcam++:no-flip,mokuwe
[[ -x $borex ]] || { echo "bench: $borex not found: run scripts/build.sh" >&2; exit 1; }
if [[ ! -f $data/ImageSets/Main/test.txt ]]; then
  /usr/bin/python3 "$root/scripts/make_scenes.py" --out "$data" --train 0 --val 300 --test 600 --seed 0
fi
head -n "$images" "$data/ImageSets/Main/test.txt" > "$data/ImageSets/Main/test$images.txt"
mkdir -p "$out"
run() {  # NAME FLAGS...
  local name=$1
  shift
  "$borex" batch --model "$model" --voc-root "$data" --split "test$images" --methods "$methods" \
    --step "$step" --threads "$threads" --no-progress --out "$out/$name" "$@" > "$out/$name.log" 2>&1
  /usr/bin/python3 - "$out/$name/batch.json" "$name" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
maps = sum(m["seconds"] for m in b["methods"].values())
print(f"{sys.argv[2]}: total {b['total_seconds']:.1f} s, model {b['model_seconds']:.1f} s, "
      f"maps {maps:.1f} s, evaluation {b['evaluation']['seconds']:.1f} s "
      f"({b['evaluation']['model_calls']} images)")
PY
}
run q1k1 --acquisition-batch 1 --images-in-flight 1
settings=("q1k1=$out/q1k1")
for k in $ks; do
  run "k$k" --images-in-flight "$k"
  settings+=("k$k=$out/k$k")
done
/usr/bin/python3 "$root/scripts/acquisition_batch_table.py" "${settings[@]}"
