#!/usr/bin/env bash
# Configures and builds borex in build/ (Release, ccache when available).
#   scripts/build.sh                    # everything: the library, the CLI, tests, benchmarks
#   scripts/build.sh --target borex_cli # only the CLI (build/borex) and what it links (quick start)
# Other arguments are passed to cmake's configure step, e.g. scripts/build.sh -DBOREX_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
targets=()
configure=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --target)
      [[ $# -ge 2 ]] || { echo "build: --target needs a target name" >&2; exit 2; }
      targets+=(--target "$2")
      shift 2
      ;;
    *) configure+=("$1"); shift ;;
  esac
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${configure[@]}" >/dev/null
cmake --build build -j "$jobs" "${targets[@]}"
