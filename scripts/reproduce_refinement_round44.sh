#!/usr/bin/env bash
# Issue 11, forty-fourth round (validation only, no new batches; docs/results.md "refinement44",
# docs/algorithm.md "Forty-fourth round"): the forty-second round's unions only where the prior
# marks ONE place (its top 5% of pixels in one region), the reverse of the forty-third round's
# gate: a union tests the claim "this region is it", which a prior that names one place makes.
# rcond10 and rpcond10 are cond10 and pcond10 behind that gate. Where it is shut a map is the
# defaults' bit for bit and where it is open the ungated candidate's, so scripts/gated_splice.py
# builds each candidate's rows from the forty-second round's batches; the splice is checked first
# against the forty-third round, whose gated candidates ran (every row must agree). The rule
# (written before any of its numbers): the forty-second round's. Step 2, written after step 1's
# tables: the gate on the region the unions hide, the prior's top 10% in one region (r10cond10,
# r10pcond10). Env: OUT (default out/refinement44), ROUND42, ROUND43 (defaults out/refinement42,
# out/refinement43: run scripts/reproduce_refinement_round42.sh and _round43.sh first).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement44}
round42=${ROUND42:-$root/out/refinement42}
round43=${ROUND43:-$root/out/refinement43}
source "$root/scripts/five_classifiers.sh"
splice() { /usr/bin/python3 "$root/scripts/gated_splice.py" "$@" | sed "s|$root/||g"; }
candidates=(rcond10 rpcond10)
mkdir -p "$out"
echo "### The splice checked against the forty-third round's gated runs"
for run in "${five[@]}"; do
  for setting in cond10 pcond10; do
    splice --gate several --defaults "$round42/$run-val-defaults" \
      --candidate "$round42/$run-val-$setting" --out "$out/check-$run-val-g$setting" \
      --check "$round43/$run-val-g$setting"
    rm -rf "${out:?}/check-$run-val-g$setting"
  done
done
# reverse_gate FRACTION PREFIX: the candidates PREFIX{cond10,pcond10}, the unions where the prior's
# top FRACTION forms one region.
reverse_gate() {
  local fraction=$1 prefix=$2 run setting
  echo "### Where the reverse gate opens (the prior's top $fraction in one region)"
  for run in "${five[@]}"; do
    [[ -e $out/$run-val-defaults ]] || ln -s "$round42/$run-val-defaults" "$out/$run-val-defaults"
    for setting in cond10 pcond10; do
      splice --gate one --fraction "$fraction" --defaults "$round42/$run-val-defaults" \
        --candidate "$round42/$run-val-$setting" --out "$out/$run-val-$prefix$setting"
    done
  done
}
reverse_gate 0.05 r
five_validation_tables "$out" "${candidates[@]}"
echo "### Step 2: the gate on the prior's top 10%, the region the unions hide"
reverse_gate 0.1 r10
five_validation_tables "$out" r10cond10 r10pcond10
