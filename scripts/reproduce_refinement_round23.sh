#!/usr/bin/env bash
# Issue 11's twenty-third round (docs/algorithm.md "Twenty-third round", docs/results.md
# "refinement23"): the smoothness of the field's Matérn kernel, never measured over the pixel
# field (the code's ν = 3/2 since the seventh round): ν = 1/2 ("nu12", --kernel matern12) and
# ν = 5/2 ("nu52") against the twenty-first round's defaults ("avgsd"), on the validation split of
# the three classifiers, RISE and Grad-CAM++; then the final map averaged over σn² too
# ("avgnoise", --fit-noise-variance).
#   scripts/reproduce_refinement_round23.sh
# Prints the tables of docs/results.md's "refinement23" section. Needs this commit's borex
# (build/borex); about 35 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement23}
measured_round=23  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"

head_split val 100
run_batches val val100 rise,gradcam++,borex:rise,borex:gradcam++ "avgsd nu12 nu52" 0 1 2
echo "### Validation: the first round's rule"
quality --summary "${two_priors[@]}" "$out"/model{1,2,3}-val-{avgsd,nu12,nu52}
for run in nu12 nu52; do validation_candidate avgsd "$run"; done
# Added after nu12 and nu52 were measured (its rule written before it ran): the final map
# averaged over σn² too (--fit-noise-variance), the one hyperparameter still fixed.
run_batches val val100 rise,gradcam++,borex:rise,borex:gradcam++ avgnoise 0 1 2
echo "### Validation: the first round's rule, avgnoise"
quality --summary "${two_priors[@]}" "$out"/model{1,2,3}-val-{avgsd,avgnoise}
validation_candidate avgsd avgnoise
