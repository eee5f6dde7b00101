#!/usr/bin/env bash
# Issue 11, forty-second round (validation only unless a candidate passes; docs/results.md
# "refinement42", docs/algorithm.md "Forty-second round"): observations relative to the prior's
# top region. A probability saturates when several items of the class are visible (hiding one of
# three coats leaves p ≈ 1), so a square over a second item scores like one over background and the
# refined map piles onto one item. Each square is also offered hidden together with the prior's top
# q of segments (cond10: q = 0.1, cond20: q = 0.2): with the item the prior ranks first already
# hidden, a square over another item moves the score and one over background does not. Step 2,
# after step 1's candidates failed: pcond10, the unions with the posterior mean's top 10% instead,
# offered from the round that starts at step 24 on (what the observations established). RISE and
# Grad-CAM++ and their refinements on the five classifiers' first 100 validation scenes, against
# the defaults' maps made by the same binary; the rule (written before the batches): no cell worse
# after Holm's adjustment within each classifier (2 priors x 4 metrics x all / single / multi), the
# objective not lower on any classifier.
# The prototype is a borex of commit f48624c built with scripts/refinement_prototypes_round42.patch
# applied, given as PROTOTYPE_BOREX (from the repository's root; the patch is not in that commit):
#   git worktree add /tmp/borex42 f48624c &&
#     git -C /tmp/borex42 apply "$PWD/scripts/refinement_prototypes_round42.patch" &&
#     (cd /tmp/borex42 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex42/build/borex /tmp/borex-prototype42
#   PROTOTYPE_BOREX=/tmp/borex-prototype42 scripts/reproduce_refinement_round42.sh
# Without BOREX_PROTOTYPE_CONDITIONAL in its environment the prototype is that commit's borex, and
# the defaults' runs are made with it; BOREX_PROTOTYPE_POSTERIOR_CONDITIONAL=q is step 2's. Env:
# JOBS, SEED, STEP as in scene_benchmark.sh; OUT (default out/refinement42).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement42}
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round42: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }
BOREX=$PROTOTYPE_BOREX
source "$root/scripts/five_classifiers.sh"
candidates=(cond10 cond20 pcond10)
# setting_batch RUN SETTING: val100_batch under SETTING's switches.
setting_batch() {
  local switches=()
  case $2 in
    cond*) switches=("BOREX_PROTOTYPE_CONDITIONAL=0.${2#cond}") ;;
    pcond*) switches=("BOREX_PROTOTYPE_POSTERIOR_CONDITIONAL=0.${2#pcond}") ;;
  esac
  val100_batch "$out/$1-val-$2" "$1" "${switches[@]}"
}
for run in "${five[@]}"; do
  for setting in defaults "${candidates[@]}"; do setting_batch "$run" "$setting"; done
done
five_validation_tables "$out" "${candidates[@]}"
echo "### Several-item scenes: how the top pixels spread over the items (Grad-CAM++ and its refinements)"
echo '```'
for run in "${five[@]}"; do
  for setting in defaults "${candidates[@]}"; do
    /usr/bin/python3 "$root/scripts/rank_bands.py" --item-shares --data "$(scenes_of "$run")" \
      "$out/$run-val-$setting" gradcam++ borex:gradcam++ | sed "s|$root/||"
  done
done
echo '```'
echo "### How often the search chose a union (cond10, the first 8 validation scenes, project classifier 2)"
for prior in rise gradcam++; do
  for i in 0 1 2 3 4 5 6 7; do
    BOREX_PROTOTYPE_CONDITIONAL=0.1 "$borex" refine --model "${classifiers[1]}" --prior-method "$prior" \
      --image "$project_data/JPEGImages/val_00000$i.png" --seed "$seed" \
      --out "$out/choices-$prior-$i" --trace "$out/choices-$prior-$i.trace.json" > /dev/null 2>&1
  done
  /usr/bin/python3 -c 'import glob, json, sys
steps = [s for f in glob.glob(sys.argv[1]) for s in json.load(open(f))["steps"]]
unions = sum(s.get("prior_fraction", 0) > 1 for s in steps)
print(f"{sys.argv[2]}: {unions} of {len(steps)} observations were unions ({unions / len(steps):.0%})")' \
    "$out/choices-$prior-?.trace.json" "$prior"
done
echo "### The first round's objective of BOREx(Grad-CAM++) alone (defaults, cond10, cond20, pcond10)"
for run in "${five[@]}"; do
  data=$(scenes_of "$run") quality --summary --pair borex:gradcam++=gradcam++ \
    "$out/$run-val-defaults" "${candidates[@]/#/$out/$run-val-}"
done
