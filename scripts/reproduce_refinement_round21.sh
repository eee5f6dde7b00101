#!/usr/bin/env bash
# Issue 11's twenty-first round (docs/algorithm.md "Twenty-first round", docs/results.md
# "refinement21"): the final map averaged over the fitted hyperparameters' grid, each point's
# posterior mean weighted by its marginal likelihood (--average-hyperparameters), over σf² alone
# ("avg") and over σf² and a's prior std ("avgsd", with --fit-prior-coefficient-sd): (1)
# validation, the three classifiers, against the defaults and the priors; (2) the validation's pick
# (the first round's rule), the test split once.
#   scripts/reproduce_refinement_round21.sh [validation|test]
# Prints the tables of docs/results.md's "refinement21" section. Needs this commit's borex
# (build/borex); validation about 20 minutes on 2 cores, the test split about 60 more.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement21}
steps=${1:-validation test}
# The candidate the validation picked (the test split measures it once).
pick=${PICK:-avgsd}

source "$root/scripts/scene_benchmark.sh"

# SPLIT_NAME SPLIT METHODS RUNS CLASSIFIER_INDEX...: per classifier, one batch per run (defaults,
# avg, avgsd), model<i>-<SPLIT_NAME>-<run>.
run_batches() {
  local name=$1 split=$2 methods=$3 runs=$4 i run flags
  shift 4
  for i in "$@"; do
    for run in $runs; do
      case $run in
        defaults) flags=() ;;
        avg) flags=(--average-hyperparameters) ;;
        avgsd) flags=(--average-hyperparameters --fit-prior-coefficient-sd) ;;
      esac
      preset=kriging model=${classifiers[i]} batch "$out/model$((i + 1))-$name-$run" "$split" \
        "$methods" "${kriging_flags[@]}" "${flags[@]}"
    done
  done
}

# CANDIDATE DIR...: how often the candidate moved a (the CSV's prior_coefficient) from the
# defaults' fit, DIR-defaults against DIR-CANDIDATE.
coefficients_moved() {
  /usr/bin/python3 - "$@" <<'PY'
import csv, statistics, sys
candidate = sys.argv[1]
print(f"| run | prior | a moved / maps | median a: defaults → {candidate} | where moved | a < 0: defaults, {candidate} |")
print("|---|---|---:|---|---|---|")
for run in sys.argv[2:]:
    for prior in ("rise", "gradcam++", "opticam"):
        try:
            rows = [{r["image_id"]: float(r["prior_coefficient"])
                     for r in csv.DictReader(open(f"{run}-{which}/borex:{prior}.csv"))}
                    for which in ("defaults", candidate)]
        except FileNotFoundError:
            continue
        before, after = rows
        moved = [k for k in before if abs(before[k] - after[k]) > 1e-3 * max(1, abs(before[k]))]
        median = statistics.median
        where = (f"{median(before[k] for k in moved):.2f} → {median(after[k] for k in moved):.2f}"
                 if moved else "—")
        print(f"| {run.rsplit('/', 1)[-1]} | {prior} | {len(moved)} / {len(before)} | "
              f"{median(before.values()):.2f} → {median(after.values()):.2f} | {where} | "
              f"{sum(v < 0 for v in before.values())}, {sum(v < 0 for v in after.values())} |")
PY
}

if [[ $steps == *validation* ]]; then
  head_split val 100
  run_batches val val100 rise,gradcam++,borex:rise,borex:gradcam++ "defaults avg avgsd" 0 1 2
  echo "### Averaged hyperparameters (validation): the first round's rule"
  quality --summary "${two_priors[@]}" "$out"/model{1,2,3}-val-{defaults,avg,avgsd}
  for run in avg avgsd; do
    echo "### Validation, $run: against the priors"
    quality "${two_priors[@]}" "$out"/model{1,2,3}-val-$run
    echo "### Validation, $run: against the defaults"
    for i in 1 2 3; do
      against_defaults "$out/model$i-val-defaults" "$out/model$i-val-$run" -- rise gradcam++
    done
    echo "### Validation, $run: what the average did to a"
    coefficients_moved "$run" "$out"/model{1,2,3}-val
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
  echo "### The test split, $pick: against the priors"
  quality "$out"/model{1,2,3}-test-"$pick" "$out"/model{1,2}-test-opticam-"$pick"
  echo "### The test split: the defaults against the priors"
  quality "$out"/model{1,2,3}-test-defaults "$out"/model{1,2}-test-opticam-defaults
  echo "### The test split, $pick: against the defaults"
  for i in 1 2 3; do
    against_defaults "$out/model$i-test-defaults" "$out/model$i-test-$pick" -- rise gradcam++
  done
  for i in 1 2; do
    against_defaults "$out/model$i-test-opticam-defaults" "$out/model$i-test-opticam-$pick" -- opticam
  done
  echo "### Goal 5: BOREx(RISE) against Grad-CAM++ (test split, $pick)"
  quality --pair borex:rise=gradcam++ "$out"/model{1,2,3}-test-"$pick"
  echo "### The test split: refined maps with a negative prior coefficient"
  /usr/bin/python3 "$root/scripts/inverted_maps.py" "$out"/model{1,2,3}-test-{defaults,"$pick"} \
    "$out"/model{1,2}-test-opticam-{defaults,"$pick"}
  echo "### The test split, $pick: what the average did to a"
  coefficients_moved "$pick" "$out"/model{1,2,3}-test "$out"/model{1,2}-test-opticam
fi
