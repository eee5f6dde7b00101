#!/usr/bin/env bash
# Issue 11, fortieth round (docs/results.md "refinement40", docs/algorithm.md "Fortieth round"):
# do the defaults hold when the items are about half as large relative to the image? Some of
# borex's settings are fractions of the image (the squares' sides), some are in cells of the
# field or in pixels (the length scale, the segments), and all were chosen on items of 30-52 px
# in 128 (the second generator's are 24-64). A third generator (scripts/make_scenes.py --style
# small: the project's drawing with one target of 16-28 px or two to five of 14-24 px) and
# classifiers trained on its own train split by the same script (the ResNet; the plain CNN as
# the second model) ask that, as the twenty-eighth round asked it of the second generator.
# Evaluation only, nothing tuned: goals 1-5 on its first 300 test scenes with the defaults.
#   scripts/reproduce_refinement_round40.sh
# Env: BOREX, JOBS, SEED as in scene_benchmark.sh; OUT (default out/refinement40); SMALL_DATA
# (default data/small_scenes). Generates the scenes (16000 train, 300 val, 300 test; about five
# minutes) and trains the two classifiers (about 15 minutes each on 2 cores) when absent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement40}
export DATA=${SMALL_DATA:-$root/data/small_scenes}
small_models=("$root/models/fashion_small_resnet.pt" "$root/models/fashion_small_plaincnn.pt")
if [[ ! -f $DATA/ImageSets/Main/test.txt ]]; then
  /usr/bin/python3 "$root/scripts/make_scenes.py" --out "$DATA" --style small --seed 0 \
    --multi-fraction 0.5 --train 16000 --val 300 --test 300
fi
for i in 0 1; do
  arch=resnet
  ((i == 1)) && arch=plain
  [[ -f ${small_models[i]} ]] || /usr/bin/python3 "$root/scripts/train_scene_classifier.py" \
    --data "$DATA" --out "${small_models[i]}" --arch "$arch" --epochs 16 --seed 0 --threads 1
done
source "$root/scripts/scene_benchmark.sh"
head_split test 300

# The defaults as every round since the twenty-eighth measures them; Opti-CAM in a batch of its own.
generator_goal_batches "$out" small "${small_models[@]}"

generator_goal_tables "$out" small small-item "${small_models[@]}"
echo "### Cells worse than the prior"
quality --summary "${two_priors[@]}" "$out"/model{1,2}-small-defaults
for i in 1 2; do
  model=${small_models[i - 1]} against_code "$out/model$i-small-defaults" \
    "$out/model$i-small-code" "Goal 4 on the small-item scenes: the defaults against the code's settings (model $i)" test300
done

# Goal 2's deletion cell on the blurred substrate (the eighteenth round's check of the project's
# classifiers 2 and 3): the same RISE and BOREx(RISE) maps (deterministic under the seed), scored
# with the blurred image in place of black.
for i in 1 2; do
  preset=kriging rise_infill=mean gp_over=pixels model=${small_models[i - 1]} \
    batch "$out/model$i-small-blur" test300 rise,borex:rise --substrate blur
done
echo "### Goal 2 on the blurred substrate: BOREx(RISE) against RISE"
quality --pair borex:rise=rise "$out"/model{1,2}-small-blur
