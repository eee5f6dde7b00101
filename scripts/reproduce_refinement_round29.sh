#!/usr/bin/env bash
# Issue 11's twenty-ninth round (docs/algorithm.md "Twenty-ninth round", docs/results.md
# "refinement29"), validation only: the eleventh round's raise of the pixel field's final map
# towards its segments' means (W = 0.5) on today's defaults, the twenty-eighth round's step-2
# lead, on the first 100 validation scenes of both generators: the project's three classifiers
# against the twenty-fourth round's runs of today's defaults (out/refinement24/model<i>-val-avgsd:
# run scripts/reproduce_refinement_round24.sh first), the shifted scenes' two classifiers against
# the defaults run here; RISE and Grad-CAM++.
#   scripts/reproduce_refinement_round29.sh
# Prints the tables of docs/results.md's "refinement29" section. Needs this commit's borex
# (build/borex) and the twenty-eighth round's scenes and classifiers (its script makes them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement29}
project_data=$root/data/scenes
defaults24=${DEFAULTS24:-$root/out/refinement24}
export DATA=${DATA:-$root/data/shifted_scenes}
source "$root/scripts/scene_benchmark.sh"
shifted_models=("$root/models/fashion_shifted_resnet.pt" "$root/models/fashion_shifted_plaincnn.pt")
raise=(--map-segments 0.5 --map-segments-form raise)
methods=rise,gradcam++,borex:rise,borex:gradcam++
head_split val 100
data=$project_data head_split val 100  # the twenty-fourth round made the project's scenes

for i in 1 2; do
  preset=kriging rise_infill=mean gp_over=pixels model=${shifted_models[i - 1]} \
    batch "$out/shifted$i-val-defaults" val100 "$methods"
  preset=kriging rise_infill=mean gp_over=pixels model=${shifted_models[i - 1]} \
    batch "$out/shifted$i-val-raise05" val100 "$methods" "${raise[@]}"
done
for i in 1 2 3; do
  preset=kriging rise_infill=mean gp_over=pixels model=${classifiers[i - 1]} data=$project_data \
    batch "$out/model$i-val-raise05" val100 "$methods" "${raise[@]}"
done

echo "### Validation: the first round's rule (objective per classifier, defaults then raise05)"
for i in 1 2; do
  quality --summary "${two_priors[@]}" "$out"/shifted$i-val-{defaults,raise05}
done
for i in 1 2 3; do
  data=$project_data quality --summary "${two_priors[@]}" "$defaults24/model$i-val-avgsd" \
    "$out/model$i-val-raise05"
done
echo "### Validation, raise05: against the priors"
quality "${two_priors[@]}" "$out"/shifted{1,2}-val-raise05
data=$project_data quality "${two_priors[@]}" "$out"/model{1,2,3}-val-raise05
echo "### Validation, raise05: against the defaults"
for i in 1 2; do
  against_defaults "$out/shifted$i-val-defaults" "$out/shifted$i-val-raise05" -- rise gradcam++
done
for i in 1 2 3; do
  data=$project_data against_defaults "$defaults24/model$i-val-avgsd" "$out/model$i-val-raise05" \
    -- rise gradcam++
done
