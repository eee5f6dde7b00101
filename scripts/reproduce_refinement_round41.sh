#!/usr/bin/env bash
# Issue 11, forty-first round (docs/results.md "refinement41", docs/algorithm.md "Forty-first
# round"): the goals scored on the substrate of the BOREx authors' code. The paper says the
# removed pixels become black, and the goals are stated on black; the authors' code sets them to
# 0 in the model's normalised space, the model's mean colour, for insertion and deletion alike
# (`--substrate mean`; ../shared/notes/borex-reference.md). RISE, its prior and BOREx's
# observations hide pixels with that same colour (the second and third rounds), so on it the
# maps are scored by the operation they were made with. Evaluation only, the defaults with no
# flags but the substrate: (1) goals 1-3 and 5 on the project's test split (500 scenes) for the
# three classifiers, Opti-CAM on the two ResNets, goal 4 on the first; (2) goal 2 on the third
# generator's two classifiers (300 test scenes), whose deletion cell misses on black too; (3)
# goals 1-5 (Opti-CAM aside) on the second generator's two classifiers (300 test scenes), where
# Grad-CAM++'s goals and goal 4 miss on black.
#   scripts/reproduce_refinement_round41.sh
# Env: BOREX, JOBS, SEED as in scene_benchmark.sh; OUT (default out/refinement41); SMALL_DATA
# (default data/small_scenes; made by scripts/reproduce_refinement_round40.sh); SHIFTED_DATA
# (default data/shifted_scenes; scripts/shifted_scenes.sh makes it). Steps 2 and 3 are skipped
# when their scenes are absent. About 75 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement41}
small_data=${SMALL_DATA:-$root/data/small_scenes}
small_models=("$root/models/fashion_small_resnet.pt" "$root/models/fashion_small_plaincnn.pt")
shifted_data=${SHIFTED_DATA:-$root/data/shifted_scenes}
shifted_models=("$root/models/fashion_shifted_resnet.pt" "$root/models/fashion_shifted_plaincnn.pt")
source "$root/scripts/scene_benchmark.sh"
mean=(--substrate mean)

# 1. The project's scenes: the defaults as the twenty-first round measured them on black.
head_split test 500
for i in 1 2 3; do
  preset=kriging rise_infill=mean gp_over=pixels model=${classifiers[i - 1]} \
    batch "$out/model$i-mean" test500 rise,gradcam++,borex:rise,borex:gradcam++ "${mean[@]}"
done
for i in 1 2; do
  preset=kriging rise_infill=mean gp_over=pixels model=${classifiers[i - 1]} \
    batch "$out/model$i-mean-opticam" test500 opticam,borex:opticam "${mean[@]}"
done
echo "### Goals 1-3 on the mean-colour substrate (test split, 500 scenes, three classifiers)"
quality "${two_priors[@]}" "$out"/model{1,2,3}-mean
echo "### Goal 1's third prior on the mean-colour substrate: BOREx(Opti-CAM) against Opti-CAM"
quality --pair borex:opticam=opticam "$out"/model{1,2}-mean-opticam
echo "### Goal 5 on the mean-colour substrate: BOREx(RISE) against Grad-CAM++"
quality --pair borex:rise=gradcam++ "$out"/model{1,2,3}-mean
model=${classifiers[0]} against_code "$out/model1-mean" "$out/model1-mean-code" \
  "Goal 4 on the mean-colour substrate: the defaults against the code's settings (model 1)" \
  test500 "${mean[@]}"

# 2. The third generator's classifiers (items half as large, the fortieth round): goal 2.
if [[ -f $small_data/ImageSets/Main/test.txt ]]; then
  data=$small_data head_split test 300
  for i in 1 2; do
    data=$small_data preset=kriging rise_infill=mean gp_over=pixels model=${small_models[i - 1]} \
      batch "$out/small$i-mean" test300 rise,borex:rise "${mean[@]}"
  done
  echo "### Goal 2 on the mean-colour substrate: the third generator's classifiers (300 scenes)"
  data=$small_data quality --pair borex:rise=rise "$out"/small{1,2}-mean
else
  echo "reproduce: $small_data not found: step 2 skipped (scripts/reproduce_refinement_round40.sh" \
    "makes it)" >&2
fi

# 3. The second generator's classifiers (textured backgrounds, the twenty-eighth round): goals 1-5.
if [[ -f $shifted_data/ImageSets/Main/test.txt ]]; then
  data=$shifted_data head_split test 300
  for i in 1 2; do
    data=$shifted_data preset=kriging rise_infill=mean gp_over=pixels \
      model=${shifted_models[i - 1]} batch "$out/shifted$i-mean" test300 \
      rise,gradcam++,borex:rise,borex:gradcam++ "${mean[@]}"
  done
  echo "### Goals 1-3 on the mean-colour substrate: the second generator's classifiers (300 scenes)"
  data=$shifted_data quality "${two_priors[@]}" "$out"/shifted{1,2}-mean
  echo "### Goal 5 on the mean-colour substrate: the second generator's classifiers"
  data=$shifted_data quality --pair borex:rise=gradcam++ "$out"/shifted{1,2}-mean
  for i in 1 2; do
    data=$shifted_data model=${shifted_models[i - 1]} against_code "$out/shifted$i-mean" \
      "$out/shifted$i-mean-code" \
      "Goal 4 on the mean-colour substrate: the second generator (model $i)" test300 "${mean[@]}"
  done
else
  echo "reproduce: $shifted_data not found: step 3 skipped (scripts/shifted_scenes.sh makes it)" >&2
fi
