#!/usr/bin/env bash
# Installs borex into a temporary prefix and builds a separate project against it with
# find_package(borex), then runs that project and the installed executable. With PYTHON_DIR
# (where the Python module installs, relative to the prefix) also imports the installed module
# with PYTHON and explains an image with it.
set -euo pipefail
build_dir=$1
source_dir=$2
python_dir=${3:-}
python=${4:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/tests/install/consumer" -B "$work/consumer" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer" "$source_dir/models/fashion_scenes_resnet.pt" \
  "$source_dir/examples/scene_multi.png" "$work/scene_multi_borex"
test -s "$work/scene_multi_borex.npy"
"$work/prefix/bin/borex" --version
if [[ -n "$python_dir" ]]; then
  PYTHONPATH="$work/prefix/$python_dir" "$python" -c '
import sys, numpy, borex
assert borex.__file__.startswith(sys.argv[1]), borex.__file__
saliency, summary = borex.explain(sys.argv[2], numpy.zeros((64, 64, 3), numpy.uint8), masks=8)
assert saliency.shape == (64, 64) and summary["command"] == "explain"
' "$work/prefix/$python_dir" "$source_dir/models/fashion_scenes_resnet.pt"
fi
