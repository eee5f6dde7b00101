#!/usr/bin/env bash
# Installs borex into a temporary prefix and builds a separate project against it with
# find_package(borex), then runs that project and the installed executable.
set -euo pipefail
build_dir=$1
source_dir=$2
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
