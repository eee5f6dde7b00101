#!/usr/bin/env bash
# Issue 11's twenty-first round (docs/algorithm.md "Twenty-first round", docs/results.md
# "refinement21"): the final map averaged over the fitted hyperparameters' grid, each point's
# posterior mean weighted by its marginal likelihood (--average-hyperparameters), over σf² alone
# ("avg") and over σf² and a's prior std ("avgsd", with --fit-prior-coefficient-sd): (1)
# validation, the three classifiers, against the defaults and the priors; (2) the validation's pick
# (the first round's rule), the test split once.
#   scripts/reproduce_refinement_round21.sh [validation|test|ablation]
# (ablation, not run by default: avg on the test split, measured after avgsd was adopted, to tell
# which part of avgsd carries its gain; RISE and Grad-CAM++, the three classifiers.)
# Prints the tables of docs/results.md's "refinement21" section. Needs this commit's borex
# (build/borex); validation about 15 minutes on 2 cores, the test split about 60 more (with
# the defaults' and the code's batches).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement21}
steps=${1:-validation test}
# The candidate the validation picked (the test split measures it once).
pick=${PICK:-avgsd}

measured_round=21  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"

if [[ $steps == *validation* ]]; then
  head_split val 100
  run_batches val val100 rise,gradcam++,borex:rise,borex:gradcam++ "defaults avg avgsd" 0 1 2
  echo "### Averaged hyperparameters (validation): the first round's rule"
  quality --summary "${two_priors[@]}" "$out"/model{1,2,3}-val-{defaults,avg,avgsd}
  for run in avg avgsd; do
    validation_candidate defaults "$run"
    echo "### Validation, $run: what the average did to a"
    /usr/bin/python3 "$root/scripts/coefficients_moved.py" "$run" "$out"/model{1,2,3}-val
  done
  echo "### Validation: refined maps with a negative prior coefficient"
  /usr/bin/python3 "$root/scripts/inverted_maps.py" "$out"/model{1,2,3}-val-{defaults,avg,avgsd}
fi

if [[ $steps == *test* ]]; then
  # The validation's pick measured once on the test split: the three classifiers with RISE and
  # Grad-CAM++, the two ResNets with Opti-CAM (goal 1's third prior), against the priors and
  # against the defaults' maps of the same split (run here: the defaults are deterministic).
  head_split test 500
  run_batches test test500 rise,gradcam++,borex:rise,borex:gradcam++ "defaults $pick" 0 1 2
  run_batches test-opticam test500 opticam,borex:opticam "defaults $pick" 0 1
  candidate_test_tables "$out" "$pick"
  against_code "$out/model1-test-$pick" "$out/test-code" \
    "Goal 4: $pick against the code's settings (test split, first classifier)"
fi

if [[ $steps == *ablation* ]]; then
  head_split test 500
  run_batches test test500 rise,gradcam++,borex:rise,borex:gradcam++ avg 0 1 2
  echo "### Ablation (test split, after the adoption), avg: against the priors"
  quality "$out"/model{1,2,3}-test-avg
  echo "### Ablation (test split, after the adoption), avg: against the twentieth round's defaults"
  for i in 1 2 3; do
    against_defaults "$out/model$i-test-defaults" "$out/model$i-test-avg" -- rise gradcam++
  done
  echo "### Ablation (test split, after the adoption), avgsd against avg"
  for i in 1 2 3; do
    against_defaults "$out/model$i-test-avg" "$out/model$i-test-avgsd" -- rise gradcam++
  done
fi
