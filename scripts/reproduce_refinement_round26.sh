#!/usr/bin/env bash
# Issue 11's twenty-sixth round (docs/algorithm.md "Twenty-sixth round", docs/results.md
# "refinement26"): a clip's GP over its frames' cells ("field", --gp-over pixels) against the
# squares' GP of today's clip defaults ("masks", --gp-over auto), the kriging preset with RISE's
# mean in-fill, on the video benchmark's clips: (1) the first 40 validation clips; (2) the first
# 200 test clips, once.
#   scripts/reproduce_refinement_round26.sh [validation|test]
# Prints the comparisons of docs/results.md's "refinement26" section; validation about 5 minutes
# on 2 cores, the test split about 25 more. BOREX (default build/borex) runs the batches; MODEL
# (default models/fashion_video_r2plus1d.pt) and OUT name another classifier and its directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
borex=${BOREX:-$root/build/borex}
data=${DATA:-$root/data/video_clips}
out=${OUT:-$root/out/refinement26}
steps=${1:-validation test}
model=${MODEL:-$root/models/fashion_video_r2plus1d.pt}

[[ -f $data/splits/test.txt ]] ||
  /usr/bin/python3 "$root/scripts/make_video_clips.py" --out "$data" --seed 0

# shellcheck source=scripts/clip_round.sh
source "$root/scripts/clip_round.sh"

if [[ $steps == *validation* ]]; then
  clip_run val 40 masks rise,gradcam++,borex:rise,borex:gradcam++ --gp-over=masks
  clip_run val 40 field borex:rise,borex:gradcam++ --gp-over=pixels
  clip_tables field masks val40
fi
if [[ $steps == *test* ]]; then
  clip_run test 200 masks rise,gradcam++,borex:rise,borex:gradcam++ --gp-over=masks
  clip_run test 200 field borex:rise,borex:gradcam++ --gp-over=pixels
  clip_tables field masks test200
fi
