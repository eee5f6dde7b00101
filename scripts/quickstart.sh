#!/usr/bin/env bash
# Quick start: installs what is missing, builds the `borex` command only (scripts/test.sh builds
# and runs the tests), computes a cheap RISE map (100 masks) for a
# bundled scene with the bundled Fashion-MNIST scene classifier, and refines it with BOREx's
# defaults. Outputs go to out/; docs/quickstart_scene_multi.png shows them
# (scripts/quickstart_figure.py draws it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh --target borex_cli
mkdir -p out
build/borex explain --model models/fashion_scenes_resnet.pt --image examples/scene_multi.png \
  --method rise --masks 100 --grid 8 --keep-prob 0.3 --seed 0 --out out/scene_multi_rise
# refine computes the same prior itself (its default: RISE, 100 masks, s = 8, p1 = 0.3, this
# seed), so that the field can also read the prior's own masks (--rise-observations)
build/borex refine --model models/fashion_scenes_resnet.pt --image examples/scene_multi.png \
  --seed 0 --out out/scene_multi_borex --trace out/scene_multi_trace.json
build/borex evaluate --model models/fashion_scenes_resnet.pt --image examples/scene_multi.png \
  --saliency out/scene_multi_borex.npy --annotation examples/scene_multi.xml
echo "quickstart: wrote out/scene_multi_rise.{npy,png,json} (the prior)," \
  "out/scene_multi_borex.{npy,png,json} (the refined map) and out/scene_multi_trace.json"
echo "quickstart: open the overlays, prior then refined:"
echo "  out/scene_multi_rise_overlay.png"
echo "  out/scene_multi_borex_overlay.png"
