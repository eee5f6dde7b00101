#!/usr/bin/env bash
# Issue 11's twenty-seventh round (docs/algorithm.md "Twenty-seventh round", docs/results.md
# "refinement27"): the clip field of the twenty-sixth round with the clip's position length scale
# ("field12", --gp-over pixels --length-scale 12: twice an image's, as the squares' GP has on a
# clip) against today's clip defaults ("masks"), on the first 40 validation clips of both video
# models; the masks runs are the twenty-sixth round's (the same directories).
#   scripts/reproduce_refinement_round27.sh
# About 3 minutes per model on 2 cores, after the twenty-sixth round's validation.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
borex=${BOREX:-$root/build/borex}
data=${DATA:-$root/data/video_clips}

[[ -f $data/splits/test.txt ]] ||
  /usr/bin/python3 "$root/scripts/make_video_clips.py" --out "$data" --seed 0

# shellcheck source=scripts/clip_round.sh
source "$root/scripts/clip_round.sh"

for model_name in fashion_video_r2plus1d fashion_video_r2plus1d_seed1; do
  model=$root/models/$model_name.pt
  out=$root/out/refinement26
  [[ $model_name == *seed1 ]] && out=$root/out/refinement26-seed1
  echo "## $model_name"
  clip_run val 40 masks rise,gradcam++,borex:rise,borex:gradcam++ --gp-over=masks
  clip_run val 40 field12 borex:rise,borex:gradcam++ --gp-over=pixels --length-scale=12
  clip_tables field12 masks val40
done
