#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (ctest; fails if any test
# fails). Pass ctest arguments to select, e.g. scripts/test.sh -L unit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --browser  # chromium for the "browser" test
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 600 -LE slow "$@"
