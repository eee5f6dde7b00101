#!/usr/bin/env bash
# Issue 11, thirty-first round (validation only; docs/results.md "refinement31", docs/algorithm.md
# "Thirty-first round"): the RISE prior's masks counted once. Where the field reads the masks as
# observations (the thirteenth round's gate), the prior i0 is their own average, so the fitted
# mean a·i0 regresses each mask's score on a statistic of every mask's score, its own included.
#   Step 1: "once" (where the masks are read, i0 leaves the field's mean: the masks enter as
#           observations only; the prior still gives the search its level sets and first query)
#           and "once-all" (the same with --rise-observations all) on the five classifiers'
#           first 100 validation scenes (the project's three, the shifted generator's two), and
#           "once" on the shifted ResNet's first 300; BOREx(RISE) against the defaults'.
#   Step 2: the defaults and "once" scored with the blurred image as the substrate (the five
#           classifiers' 100 scenes): whether what "once" loses on deletion is the black
#           substrate's (the eighteenth round's scattered tail) or the map's.
# The prototype is a borex of commit 3fbf5b5 built with scripts/refinement_prototypes_round31.patch
# applied, given as PROTOTYPE_BOREX (from the repository's root; the patch is not in that commit):
#   git worktree add /tmp/borex31 3fbf5b5 &&
#     git -C /tmp/borex31 apply "$PWD/scripts/refinement_prototypes_round31.patch" &&
#     (cd /tmp/borex31 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex31/build/borex /tmp/borex-prototype31
#   PROTOTYPE_BOREX=/tmp/borex-prototype31 scripts/reproduce_refinement_round31.sh
# Without BOREX_PROTOTYPE_RISE_ONCE in its environment the prototype is that commit's borex, and
# the defaults' runs are made with it. Env: JOBS, SEED, STEP as in scene_benchmark.sh; OUT
# (default out/refinement31).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement31}
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round31: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }
BOREX=$PROTOTYPE_BOREX
source "$root/scripts/five_classifiers.sh"

# named_batch NAME SPLIT [flags...]: RISE and BOREx(RISE) at the defaults and the flags into
# $out/NAME (five_classifiers.sh names the runs), with the prototype's "once" where NAME has
# "once" in it.
named_batch() {
  local name=$1 split=$2 run=()
  shift 2
  [[ $name == *once* ]] && run=(once)
  preset=kriging rise_infill=mean gp_over=pixels model=$(model_of "$name") \
    data=$(scenes_of "$name") "${run[@]}" batch "$out/$name" "$split" rise,borex:rise "$@"
}
# once COMMAND...: COMMAND (a function or a program) with the prototype's "once" on.
once() { BOREX_PROTOTYPE_RISE_ONCE=1 "$@"; }

for run in "${five[@]}"; do
  named_batch "$run-val-defaults" val100
  named_batch "$run-val-once" val100
  named_batch "$run-val-once-all" val100 --rise-observations all
  named_batch "$run-val-defaults-blur" val100 --substrate blur
  named_batch "$run-val-once-blur" val100 --substrate blur
done
named_batch shifted1-val300-defaults val300
named_batch shifted1-val300-once val300

echo "### Step 1 (validation): once's and once-all's BOREx(RISE) against the defaults'"
for run in "${five[@]}"; do
  against_defaults_of "$out/$run-val-defaults" "$out/$run-val-once" "$out/$run-val-once-all"
done
against_defaults "$out/shifted1-val300-defaults" "$out/shifted1-val300-once"
echo "### Step 1: the first round's rule (objective per classifier: defaults, once, once-all)"
for run in "${five[@]}"; do
  data=$(scenes_of "$run") quality --summary --pair borex:rise=rise \
    "$out/$run"-val-{defaults,once,once-all}
done
echo "### Step 1: BOREx(RISE) against RISE (defaults, once, once-all)"
for run in "${five[@]}"; do
  data=$(scenes_of "$run") quality --pair borex:rise=rise "$out/$run"-val-{defaults,once,once-all}
done
echo "### Step 2 (validation, blurred substrate): once's BOREx(RISE) against the defaults'"
for run in "${five[@]}"; do
  against_defaults_of "$out/$run-val-defaults-blur" "$out/$run-val-once-blur"
done
echo "### Step 3: the masks' noise factor the evidence picks (round 30's step 2), defaults and once"
noise_factor_check "$out/factor-defaults" defaults
noise_factor_check "$out/factor-once" once once
