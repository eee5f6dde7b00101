#!/usr/bin/env bash
# scripts/export_torchvision.py on a random-weight ResNet-18 (no download here), then borex on the
# exported file with no preprocessing flags: metadata must carry names, size and target layer.
# Then the same with --onnx: the metadata_props must carry names and size.
set -euo pipefail
source_dir=$1
borex=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$source_dir/scripts/export_torchvision.py" --arch resnet18 --weights random \
  --out "$work/resnet18.pt"
"$borex" refine --model "$work/resnet18.pt" --image "$source_dir/tests/data/region_image_40x48.png" \
  --prior-method gradcam++ --iterations 4 --threads 2 --out "$work/map"
for suffix in .npy .png _overlay.png .json; do
  [[ -s "$work/map$suffix" ]] || { echo "missing $work/map$suffix" >&2; exit 1; }
done
grep -q '"working_size": \[' "$work/map.json"
/usr/bin/python3 - "$work/map.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
assert summary["working_size"] == [224, 224], summary["working_size"]
assert isinstance(summary["class_name"], str) and summary["class_name"], summary["class_name"]
assert summary["prior"]["target_layer"] == "layer4", summary["prior"]
assert summary["model_calls"] == 1 + 1 + 2 * 4, summary["model_calls"]
PY

/usr/bin/python3 "$source_dir/scripts/export_torchvision.py" --arch resnet18 --weights random \
  --onnx --out "$work/resnet18.onnx"
"$borex" refine --model "$work/resnet18.onnx" --image "$source_dir/tests/data/region_image_40x48.png" \
  --prior-method rise --masks 16 --iterations 4 --threads 2 --out "$work/onnx_map"
/usr/bin/python3 - "$work/onnx_map.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
assert summary["working_size"] == [224, 224], summary["working_size"]
assert isinstance(summary["class_name"], str) and summary["class_name"], summary["class_name"]
assert summary["model_calls"] == 1 + 16 + 2 * 4, summary["model_calls"]
PY
echo "export_torchvision_test: ok"
