#!/usr/bin/env bash
# Builds borex_core and its unit tests with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ (no LibTorch: the unit tests link borex_core only) and runs them; any report fails
# the run. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --ci
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1 -g1" \
  -DBOREX_SANITIZE=ON -DBOREX_WITH_TORCH=OFF -DBOREX_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Third-party leaks, each explained in tests/lsan.supp; full stacks, so that they can be matched.
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:fast_unwind_on_malloc=0
cd build-asan
ctest --output-on-failure -j "$(nproc)" -L unit "$@"
