#!/usr/bin/env bash
# Issue 11, thirty-ninth round (docs/results.md "refinement39", docs/algorithm.md "Thirty-ninth
# round"): do the defaults, chosen on 128 x 128 working images, hold at another input size? borex
# works at the model's input size, and some of its settings are in pixels of that image. The same
# classifiers wrapped to take 224 x 224 (or 96 x 96) input and resize it to their own 128 inside
# (scripts/resized_model.py) ask the same questions at another resolution. Validation: RISE,
# Grad-CAM++ and their refinements with the defaults, on the first 300 validation scenes of the
# shifted generator (its ResNet), the first 100 of the project's (its first ResNet) and, for a
# second model, the first 100 of the shifted generator with its plain CNN, at 128
# (the models as they are), at 224 and at 96 (wrapped; the metric's step scaled with the area,
# so that every curve has 64 steps).
# scale: the scale of the model's scores. The GP's settings are in units of the label's
# probability (σn², the search's σf², the coefficients' priors), so a model whose scores are c
# times as large meets other settings. A prototype (scripts/refinement_prototypes_round39.patch)
# multiplies every observation by c (BOREX_PROTOTYPE_SCORE_SCALE=c: 0.5, 0.25, 2) or divides it
# by the image's own score M(i) (=image) or by its top class's probability (=top; both one more
# model call), on the same scenes at 128; its
# BOREx(RISE) and BOREx(Grad-CAM++) against the defaults' image by image and against the priors.
# The prototype is a borex of commit f208d32 with the patch applied, given as PROTOTYPE_BOREX
# (without the variable in its environment it is that commit's borex):
#   git worktree add /tmp/borex39 f208d32 &&
#     git -C /tmp/borex39 apply "$PWD/scripts/refinement_prototypes_round39.patch" &&
#     (cd /tmp/borex39 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex39/build/borex /tmp/borex-prototype39
#   PROTOTYPE_BOREX=/tmp/borex-prototype39 scripts/reproduce_refinement_round39.sh scale
#   scripts/reproduce_refinement_round39.sh [validation] [scale]
# Env: BOREX, JOBS, SEED as in scene_benchmark.sh; OUT (default out/refinement39).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement39}
steps=${*:-validation}
source "$root/scripts/five_classifiers.sh"
split_of() { if [[ $1 == shifted1 ]]; then echo val300; else echo val100; fi; }
runs=(shifted1 model1)

# wrapped RUN SIZE: the run's classifier wrapped to take SIZE x SIZE input (made when absent).
wrapped() {
  local inner file
  inner=$(model_of "$1-val")
  file=$out/$(basename "$inner" .pt)_$2.pt
  [[ -f $file ]] || /usr/bin/python3 "$root/scripts/resized_model.py" --model "$inner" \
    --input-size "$2" --out "$file"
  echo "$file"
}

if [[ $steps == *validation* ]]; then
  for run in "${runs[@]}" shifted2; do
    for size in 128 224 96; do
      # The models' own size as they are; another wrapped. 64 steps of the metric's curves.
      model_file=$(model_of "$run-val")
      [[ $size != 128 ]] && model_file=$(wrapped "$run" "$size")
      preset=kriging rise_infill=mean gp_over=pixels model=$model_file step=$((size * size / 64)) \
        data=$(scenes_of "$run") batch "$out/$run-val-$size" "$(split_of "$run")" \
        rise,gradcam++,borex:rise,borex:gradcam++
    done
  done
  echo "### Against the priors (128, 224, 96)"
  for run in "${runs[@]}" shifted2; do
    data=$(scenes_of "$run") quality "${two_priors[@]}" "$out/$run-val-"{128,224,96}
  done
  echo "### Cells worse than the prior (128, 224, 96)"
  for run in "${runs[@]}" shifted2; do
    data=$(scenes_of "$run") quality --summary "${two_priors[@]}" "$out/$run-val-"{128,224,96}
  done
fi

if [[ $steps == *scale* ]]; then
  [[ -x ${PROTOTYPE_BOREX:-} ]] ||
    { echo "round39: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }
  for run in "${runs[@]}"; do
    for scale in 0.5 0.25 2 image top; do
      dir=$out/$run-val-scale-$scale
      BOREX_PROTOTYPE_SCORE_SCALE=$scale borex=$PROTOTYPE_BOREX preset=kriging rise_infill=mean \
        gp_over=pixels model=$(model_of "$run-val") data=$(scenes_of "$run") \
        batch "$dir" "$(split_of "$run")" borex:rise,borex:gradcam++
      cp "$out/$run-val-128/"{rise,gradcam++}.csv "$dir/"
    done
  done
  echo "### The scores' scale: against the priors (the defaults, then 0.5, 0.25, 2, image, top)"
  for run in "${runs[@]}"; do
    data=$(scenes_of "$run") quality --summary "${two_priors[@]}" "$out/$run-val-128" \
      "$out/$run-val-scale-"{0.5,0.25,2,image,top}
  done
  echo "### The scores' scale: against the defaults' maps (0.5, 0.25, 2, image, top)"
  for run in "${runs[@]}"; do
    against_defaults_of "$out/$run-val-128" "$out/$run-val-scale-"{0.5,0.25,2,image,top} -- \
      rise gradcam++
  done
fi
