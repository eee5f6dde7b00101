#!/usr/bin/env bash
# Issue 11's twenty-fifth round (docs/algorithm.md "Twenty-fifth round", docs/results.md
# "refinement25"): the clips' final map (the squares' GP) averaged over σf² by marginal likelihood
# ("avg", --average-hyperparameters) against the maximum-likelihood σf² ("ml",
# --no-average-hyperparameters), the kriging preset with RISE's mean in-fill, on the video
# benchmark's clips: (1) the first 40 validation clips; (2) the first 200 test clips, once.
#   scripts/reproduce_refinement_round25.sh [validation|test]
# Prints the comparisons of docs/results.md's "refinement25" section; validation about 5 minutes
# on 2 cores, the test split about 20 more. Not adopted, so not in borex: the prototype is a borex
# of commit 0be5acc built with scripts/refinement_prototypes_round25.patch applied, given as
# PROTOTYPE_BOREX (from the repository's root; the patch is not in that commit):
#   git worktree add /tmp/borex25 0be5acc &&
#     git -C /tmp/borex25 apply "$PWD/scripts/refinement_prototypes_round25.patch" &&
#     (cd /tmp/borex25 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex25/build/borex /tmp/borex-prototype25
#   PROTOTYPE_BOREX=/tmp/borex-prototype25 scripts/reproduce_refinement_round25.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round25: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }
borex=$PROTOTYPE_BOREX
data=${DATA:-$root/data/video_clips}
out=${OUT:-$root/out/refinement25}
steps=${1:-validation test}
model=$root/models/fashion_video_r2plus1d.pt

[[ -f $data/splits/test.txt ]] ||
  /usr/bin/python3 "$root/scripts/make_video_clips.py" --out "$data" --seed 0

# shellcheck source=scripts/clip_round.sh
source "$root/scripts/clip_round.sh"

if [[ $steps == *validation* ]]; then
  clip_run val 40 ml rise,gradcam++,borex:rise,borex:gradcam++ --no-average-hyperparameters
  clip_run val 40 avg rise,gradcam++,borex:rise,borex:gradcam++ --average-hyperparameters
  clip_tables avg ml val40
fi
if [[ $steps == *test* ]]; then
  clip_run test 200 ml rise,gradcam++,borex:rise,borex:gradcam++ --no-average-hyperparameters
  clip_run test 200 avg borex:rise,borex:gradcam++ --average-hyperparameters
  clip_tables avg ml test200
fi
