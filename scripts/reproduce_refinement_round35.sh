#!/usr/bin/env bash
# Issue 11, thirty-fifth round (validation only; docs/results.md "refinement35", docs/algorithm.md
# "Thirty-fifth round"): the acquisition's exploration weight κ above the code's 10. The thirty-
# fourth round found BOREx(Grad-CAM++) on the second generator reaching fewer of a scene's items
# than Grad-CAM++ in its top pixels. BOREx's product is a map of the whole image, not the place
# of a maximum, and UCB still weighs the posterior mean; uncertainty sampling (κ → ∞) is the
# design for estimating a whole function. Candidates κ = 20 and κ = 100, RISE and Grad-CAM++ and
# their refinements on the five classifiers' first 100 validation scenes, against the defaults'
# maps made here; the rule (written before the batches): no cell worse after Holm's adjustment
# within each classifier (2 priors x 4 metrics x all / single / multi), the objective not lower
# on any classifier. Env: BOREX, JOBS, SEED, STEP as in scene_benchmark.sh; OUT (default
# out/refinement35).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement35}
source "$root/scripts/five_classifiers.sh"
candidates=(kappa20 kappa100)
for run in "${five[@]}"; do
  for setting in defaults "${candidates[@]}"; do
    flags=()
    [[ $setting == kappa* ]] && flags=(--kappa "${setting#kappa}")
    preset=kriging rise_infill=mean gp_over=pixels model=$(model_of "$run-val") data=$(scenes_of "$run") \
      batch "$out/$run-val-$setting" val100 rise,gradcam++,borex:rise,borex:gradcam++ "${flags[@]}"
  done
done
five_validation_tables "$out" "${candidates[@]}"
echo "### Several-item scenes of the shifted classifiers: how the top pixels spread over the items"
echo '```'
for run in shifted1 shifted2; do
  for setting in defaults "${candidates[@]}"; do
    /usr/bin/python3 "$root/scripts/rank_bands.py" --item-shares --data "$DATA" \
      "$out/$run-val-$setting" gradcam++ borex:gradcam++ | sed "s|$root/||"
  done
done
echo '```'
