#!/usr/bin/env bash
# Issue 11, forty-sixth round (validation only unless its rule sends a candidate to the test split;
# docs/results.md "refinement46", docs/algorithm.md "Forty-sixth round"): the twenty-first round's
# Bayesian model average of the final map (over σf² and a's prior std, each point weighted by its
# marginal likelihood) extended to the field kernel's length scale, the one kernel hyperparameter
# it leaves fixed. The search is unchanged. avgls: the length scale times 2^(k/2), k = -2..4
# (the grid --fit-length-scale uses); avglssym: k = -2..2. RISE and Grad-CAM++ and their
# refinements on the five classifiers' first 100 validation scenes, against the forty-second
# round's defaults' maps; its rule (written before the batches). The prototype is a borex of
# commit f48624c built with scripts/refinement_prototypes_round46.patch applied, given as
# PROTOTYPE_BOREX:
#   git worktree add /tmp/borex46 f48624c &&
#     git -C /tmp/borex46 apply "$PWD/scripts/refinement_prototypes_round46.patch" &&
#     (cd /tmp/borex46 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex46/build/borex /tmp/borex-prototype46
#   PROTOTYPE_BOREX=/tmp/borex-prototype46 scripts/reproduce_refinement_round46.sh
# Env: JOBS, SEED, STEP as in scene_benchmark.sh; OUT (default out/refinement46); ROUND42 (default
# out/refinement42: its defaults' batches are reused, and made there when absent).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement46}
round42=${ROUND42:-$root/out/refinement42}
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round46: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }
BOREX=$PROTOTYPE_BOREX
source "$root/scripts/five_classifiers.sh"
wide=0.5,0.707107,1,1.41421,2,2.82843,4
symmetric=0.5,0.707107,1,1.41421,2
mkdir -p "$out"
for run in "${five[@]}"; do
  val100_batch "$round42/$run-val-defaults" "$run"
  val100_batch "$out/$run-val-avgls" "$run" BOREX_PROTOTYPE_AVERAGE_LENGTH_SCALE=$wide
  val100_batch "$out/$run-val-avglssym" "$run" BOREX_PROTOTYPE_AVERAGE_LENGTH_SCALE=$symmetric
  [[ -e $out/$run-val-defaults ]] || ln -s "$round42/$run-val-defaults" "$out/$run-val-defaults"
done
five_validation_tables "$out" avgls avglssym
# The average's weight per length-scale factor (avgls's grid), on each classifier's first 10
# validation scenes, for the model's top class, RISE and Grad-CAM++ priors: the mean over the
# scenes of the posterior weight the final map gives each factor.
echo "### The average's weight per length-scale factor (avgls, first 10 validation scenes)"
for run in "${five[@]}"; do
  for prior in rise gradcam++; do
    for k in 0 1 2 3 4 5 6 7 8 9; do
      BOREX_PROTOTYPE_AVERAGE_LENGTH_SCALE=$wide BOREX_PROTOTYPE_LENGTH_WEIGHTS=1 \
        "$borex" refine --model "$(model_of "$run-val")" --prior-method "$prior" \
        --image "$(scenes_of "$run")/JPEGImages/val_$(printf %06d "$k").png" --seed "$seed" \
        --out "$out/weights-$run-$prior-$k" 2>&1 > /dev/null | grep '^length-weights' || true
    done | /usr/bin/python3 -c 'import sys
rows = [dict(item.split(":") for item in line.split()[1:]) for line in sys.stdin]
factors = sorted(rows[0], key=float)
print(sys.argv[1], sys.argv[2], len(rows), "scenes:",
      " ".join(f"{f}: {sum(float(r[f]) for r in rows) / len(rows):.3f}" for f in factors))' \
      "$run" "$prior"
  done
done
