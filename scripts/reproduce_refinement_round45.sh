#!/usr/bin/env bash
# Issue 11, forty-fifth round (validation only; docs/results.md "refinement45", docs/algorithm.md
# "Forty-fifth round"): the forty-second round's pcond10 (each square also hidden together with
# the posterior mean's top 10% of segments, from the round that starts at step 24) only where, at
# that round, the posterior mean's own top 10% of pixels forms one region (pp1cond10): the union
# tests the claim the map the search has built makes when it names one place (the forty-fourth
# round's reason, applied to that map rather than to the prior, which for RISE is Monte Carlo
# noise). RISE and Grad-CAM++ and their refinements on the five classifiers' first 100 validation
# scenes, against the forty-second round's defaults' maps; its rule (written before the batches).
# The prototype is a borex of commit f48624c built with scripts/refinement_prototypes_round45.patch
# applied (the forty-third round's patch and this gate), given as PROTOTYPE_BOREX:
#   git worktree add /tmp/borex45 f48624c &&
#     git -C /tmp/borex45 apply "$PWD/scripts/refinement_prototypes_round45.patch" &&
#     (cd /tmp/borex45 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex45/build/borex /tmp/borex-prototype45
#   PROTOTYPE_BOREX=/tmp/borex-prototype45 scripts/reproduce_refinement_round45.sh
# Env: JOBS, SEED, STEP as in scene_benchmark.sh; OUT (default out/refinement45); ROUND42 (default
# out/refinement42: its defaults' batches are reused, and made there when absent).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement45}
round42=${ROUND42:-$root/out/refinement42}
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round45: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }
BOREX=$PROTOTYPE_BOREX
source "$root/scripts/five_classifiers.sh"
mkdir -p "$out"
for run in "${five[@]}"; do
  val100_batch "$round42/$run-val-defaults" "$run"
  val100_batch "$out/$run-val-pp1cond10" "$run" BOREX_PROTOTYPE_POSTERIOR_CONDITIONAL=0.1 \
    BOREX_PROTOTYPE_POSTERIOR_ONE_REGION=1
  [[ -e $out/$run-val-defaults ]] || ln -s "$round42/$run-val-defaults" "$out/$run-val-defaults"
done
five_validation_tables "$out" pp1cond10
echo "### Where the gate opened: refined maps that differ from the defaults' (of 100 per prior)"
for run in "${five[@]}"; do
  differing_maps "$out/$run-val-pp1cond10" "$out/$run-val-defaults" "$run-val-pp1cond10"
done
