#!/usr/bin/env bash
# Issue 11, thirty-third round (validation only; docs/results.md "refinement33", docs/algorithm.md
# "Thirty-third round"): the RISE prior's masks kept in the final map only where they make the
# search's own observations more probable. The thirtieth round found the marginal likelihood of
# all observations trusting the masks, and losing; p(y) also scores how well the masks fit
# themselves. The conditional marginal likelihood p(y_search | y_masks) = p(y) / p(y_masks)
# (Lotfi et al., ICML 2022) asks only whether they predict the model's answers to the search's
# masks, against p(y_search) without them; each is the mean over the defaults' grid (σf² x a's SD).
#   Step 1: "cml" (the defaults' gate, then the choice) and "cml-all" (the same with
#           --rise-observations all) on the five classifiers' first 100 validation scenes and "cml"
#           on the shifted ResNet's first 300; BOREx(RISE) against the defaults', the rule written
#           before it (Holm within each classifier), and how often each drops the masks.
# The prototype is a borex of commit cfc2d51 built with scripts/refinement_prototypes_round33.patch
# applied, given as PROTOTYPE_BOREX (from the repository's root; the patch is not in that commit):
#   git worktree add /tmp/borex33 cfc2d51 &&
#     git -C /tmp/borex33 apply "$PWD/scripts/refinement_prototypes_round33.patch" &&
#     (cd /tmp/borex33 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex33/build/borex /tmp/borex-prototype33
#   PROTOTYPE_BOREX=/tmp/borex-prototype33 scripts/reproduce_refinement_round33.sh
# Without BOREX_PROTOTYPE_RISE_CML in its environment the prototype is that commit's borex, and
# the defaults' runs are made with it. Env: JOBS, SEED, STEP as in scene_benchmark.sh; OUT
# (default out/refinement33).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement33}
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round33: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }
BOREX=$PROTOTYPE_BOREX
source "$root/scripts/five_classifiers.sh"
mkdir -p "$out"

# named_batch NAME SPLIT [flags...]: RISE and BOREx(RISE) at the defaults and the flags into
# $out/NAME (five_classifiers.sh names the runs), with the prototype's choice where NAME has "cml"
# in it; each refinement's two log likelihoods and choice (1: masks kept) go to $out/NAME.cml.log.
named_batch() {
  local name=$1 split=$2 run=()
  shift 2
  [[ $name == *cml* ]] && run=(cml "$out/$name.cml.log")
  # A finished run is kept; an unfinished one starts again, so that its log matches its maps.
  [[ -f $out/$name/report.json ]] || rm -rf "${out:?}/$name" "$out/$name.cml.log"
  preset=kriging rise_infill=mean gp_over=pixels model=$(model_of "$name") \
    data=$(scenes_of "$name") "${run[@]}" batch "$out/$name" "$split" rise,borex:rise "$@"
}
# cml LOG COMMAND...: COMMAND (a function or a program) with the prototype's choice on, logged to LOG.
cml() {
  local log=$1
  shift
  BOREX_PROTOTYPE_RISE_CML=1 BOREX_PROTOTYPE_RISE_CML_LOG=$log "$@"
}

for run in "${five[@]}"; do
  named_batch "$run-val-defaults" val100
  named_batch "$run-val-cml" val100
  named_batch "$run-val-cml-all" val100 --rise-observations all
done
named_batch shifted1-val300-defaults val300
named_batch shifted1-val300-cml val300

echo "### Step 1 (validation): cml's and cml-all's BOREx(RISE) against the defaults'"
for run in "${five[@]}"; do
  against_defaults_of "$out/$run-val-defaults" "$out/$run-val-cml" "$out/$run-val-cml-all"
done
against_defaults "$out/shifted1-val300-defaults" "$out/shifted1-val300-cml"
echo "### Step 1: the rule's cells (against the defaults, Holm within each classifier)"
for run in "${five[@]}"; do
  data=$(scenes_of "$run") quality --summary --holm --pair borex:rise=previous-borex:rise \
    "$out/$run"-val-{cml,cml-all}
done
echo "### Step 1: the first round's objective per classifier (defaults, cml, cml-all)"
for run in "${five[@]}"; do
  data=$(scenes_of "$run") quality --summary --pair borex:rise=rise "$out/$run"-val-{defaults,cml,cml-all}
done
echo "### Step 1: BOREx(RISE) against RISE (defaults, cml, cml-all)"
for run in "${five[@]}"; do
  data=$(scenes_of "$run") quality --pair borex:rise=rise "$out/$run"-val-{defaults,cml,cml-all}
done
echo "### Step 1: the masks kept in the final map (refinements that read them)"
echo "| run | read the masks | kept them | dropped them |"
echo "|---|---:|---:|---:|"
for log in "$out"/*cml*.cml.log; do
  awk -v run="$(basename "$log" .cml.log)" \
    '{ n++; kept += $4 } END { printf "| %s | %d | %d | %d |\n", run, n, kept, n - kept }' "$log"
done
