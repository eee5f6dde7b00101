#!/usr/bin/env bash
# Issue 11, forty-third round (validation; docs/results.md "refinement43", docs/algorithm.md
# "Forty-third round"): round 42's unions (each square hidden together with a top region) only
# where the prior marks several places: its top 5% of pixels in two or more regions of a tenth of
# them each, the gate the RISE prior's masks already use (thirteenth round). Round 42 found the
# unions spreading the refined map over a scene's items and costing BOREx(RISE)'s insertion in
# one-item scenes as much as in several-item ones. gcond10 and gpcond10 are round 42's cond10 and
# pcond10 behind the gate; elsewhere the maps are the defaults'. RISE and Grad-CAM++ and their
# refinements on the five classifiers' first 100 validation scenes, against round 42's defaults'
# maps (made with the same binary when absent); the rule (written before the batches): no cell
# worse after Holm's adjustment within each classifier, the objective not lower on any classifier.
# The prototype is a borex of commit f48624c built with scripts/refinement_prototypes_round43.patch
# applied (round 42's patch and the gate), given as PROTOTYPE_BOREX:
#   git worktree add /tmp/borex43 f48624c &&
#     git -C /tmp/borex43 apply "$PWD/scripts/refinement_prototypes_round43.patch" &&
#     (cd /tmp/borex43 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex43/build/borex /tmp/borex-prototype43
#   PROTOTYPE_BOREX=/tmp/borex-prototype43 scripts/reproduce_refinement_round43.sh
# Without BOREX_PROTOTYPE_* in its environment the prototype is that commit's borex. Env: JOBS,
# SEED, STEP as in scene_benchmark.sh; OUT (default out/refinement43); ROUND42 (default
# out/refinement42: its defaults' batches are reused, and made there when absent).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement43}
round42=${ROUND42:-$root/out/refinement42}
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round43: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }
BOREX=$PROTOTYPE_BOREX
source "$root/scripts/five_classifiers.sh"
candidates=(gcond10 gpcond10)
# setting_batch RUN SETTING: val100_batch under SETTING's switches (the defaults in round 42's
# directory).
setting_batch() {
  local dir=$out/$1-val-$2 switches=()
  case $2 in
    defaults) dir=$round42/$1-val-defaults ;;
    gcond*) switches=(BOREX_PROTOTYPE_UNION_GATE=1 "BOREX_PROTOTYPE_CONDITIONAL=0.${2#gcond}") ;;
    gpcond*) switches=(BOREX_PROTOTYPE_UNION_GATE=1
      "BOREX_PROTOTYPE_POSTERIOR_CONDITIONAL=0.${2#gpcond}") ;;
  esac
  val100_batch "$dir" "$1" "${switches[@]}"
}
mkdir -p "$out"
for run in "${five[@]}"; do
  for setting in defaults "${candidates[@]}"; do setting_batch "$run" "$setting"; done
  [[ -e $out/$run-val-defaults ]] || ln -s "$round42/$run-val-defaults" "$out/$run-val-defaults"
done
five_validation_tables "$out" "${candidates[@]}"
echo "### Where the gate opened: refined maps that differ from the defaults' (of 100 per prior)"
for run in "${five[@]}"; do
  for setting in "${candidates[@]}"; do
    differing_maps "$out/$run-val-$setting" "$out/$run-val-defaults" "$run-val-$setting"
  done
done
echo "### The gate's rule on the defaults' priors: regions of the top 5% (one / several) by the scenes' items"
for run in "${five[@]}"; do
  for prior in rise gradcam++; do
    echo "$prior:"
    /usr/bin/python3 "$root/scripts/prior_regions.py" --data "$(scenes_of "$run")" --method "$prior" \
      --fractions 0.05 "$round42/$run-val-defaults"
  done
done
