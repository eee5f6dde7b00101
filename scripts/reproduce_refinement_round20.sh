#!/usr/bin/env bash
# Issue 11's twentieth round (docs/algorithm.md "Twentieth round", docs/results.md
# "refinement20"): the final map's prior std of the prior's coefficient a chosen per image by
# marginal likelihood (--fit-prior-coefficient-sd, among 1, 3.2, 10, 32, 100, jointly with σf²;
# the search keeps --prior-coefficient-sd 10): (1) validation, the three classifiers, against the
# defaults and the priors; (2) when the first round's rule picks it, the test split once.
#   scripts/reproduce_refinement_round20.sh [validation|test]
# Prints the tables of docs/results.md's "refinement20" section. Needs this commit's borex
# (build/borex); validation about 15 minutes on 2 cores, the test split about 60 more.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement20}
steps=${1:-validation test}

measured_round=20  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"

if [[ $steps == *validation* ]]; then
  head_split val 100
  run_batches val val100 rise,gradcam++,borex:rise,borex:gradcam++ "defaults fitsd" 0 1 2
  echo "### The coefficient's prior std by marginal likelihood (validation): the first round's rule"
  quality --summary "${two_priors[@]}" "$out"/model{1,2,3}-val-{defaults,fitsd}
  echo "### Validation: against the priors"
  quality "${two_priors[@]}" "$out"/model{1,2,3}-val-fitsd
  echo "### Validation: against the defaults"
  for i in 1 2 3; do
    against_defaults "$out/model$i-val-defaults" "$out/model$i-val-fitsd" -- rise gradcam++
  done
  echo "### Validation: refined maps with a negative prior coefficient"
  /usr/bin/python3 "$root/scripts/inverted_maps.py" "$out"/model{1,2,3}-val-{defaults,fitsd}
  echo "### Validation: what the evidence chose (a against the defaults' fit)"
  /usr/bin/python3 "$root/scripts/coefficients_moved.py" fitsd "$out"/model{1,2,3}-val
fi

if [[ $steps == *test* ]]; then
  # The validation's pick measured once on the test split: the three classifiers with RISE and
  # Grad-CAM++, the two ResNets with Opti-CAM (goal 1's third prior), against the priors and
  # against the defaults' maps of the same split (run here: the defaults are deterministic).
  head_split test 500
  run_batches test test500 rise,gradcam++,borex:rise,borex:gradcam++ "defaults fitsd" 0 1 2
  run_batches test-opticam test500 opticam,borex:opticam "defaults fitsd" 0 1
  candidate_test_tables "$out" fitsd
fi
