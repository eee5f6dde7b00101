#!/usr/bin/env bash
# Configures and builds borex in build/ (Release, ccache when available). Extra arguments are
# passed to cmake's configure step, e.g. scripts/build.sh -DBOREX_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$jobs"
