#!/usr/bin/env bash
# Reproduces docs/benchmarks.md: refine's time outside the model for a 224x224 image, 4 mask
# sizes, 50 iterations and a random-weight ResNet-18 (issue #2's speed target).
# Usage: scripts/bench_refine.sh [THREADS]   (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-$(nproc)}
mkdir -p build/bench
[[ -f build/bench/resnet18_random.pt ]] ||
  /usr/bin/python3 scripts/export_torchvision.py --arch resnet18 --weights random --seed 0 \
    --out build/bench/resnet18_random.pt
build/bench/refine_bench --model build/bench/resnet18_random.pt --threads="$threads" \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
