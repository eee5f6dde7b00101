#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and refines a saliency map for a bundled scene
# with the bundled Fashion-MNIST scene classifier. Outputs go to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
mkdir -p out
build/borex refine --model models/fashion_scenes_resnet.pt --image examples/scene_multi.png \
  --prior-method rise --seed 0 --out out/scene_multi_borex --trace out/scene_multi_trace.json
echo "quickstart: wrote out/scene_multi_borex.{npy,png,_overlay.png,json} and out/scene_multi_trace.json"
