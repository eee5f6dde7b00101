#!/usr/bin/env bash
# Issue 11's fifteenth round (docs/algorithm.md "Fifteenth round", docs/results.md
# "refinement15"): goals 4 and 7 measured on the full test split (500 scenes, where the earlier
# rounds ran the code's settings and the second classifier on the first 200 only), and a gate
# for the RISE prior's masks that accounts for the prior's Monte Carlo noise.
# Step 3 runs prototypes: a borex of commit 039460d built with
# scripts/refinement_prototypes_round15.patch applied, given as PROTOTYPE_BOREX (from the
# repository's root; the patch is not in that commit):
#   git worktree add /tmp/borex15 039460d &&
#     git -C /tmp/borex15 apply "$PWD/scripts/refinement_prototypes_round15.patch" &&
#     (cd /tmp/borex15 && scripts/build.sh --target borex_cli) &&
#     cp /tmp/borex15/build/borex /tmp/borex-prototype15
#   PROTOTYPE_BOREX=/tmp/borex-prototype15 scripts/reproduce_refinement_round15.sh
# Prints the tables of docs/results.md's "refinement15" section.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement15}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}
[[ -x ${PROTOTYPE_BOREX:-} ]] ||
  { echo "round15: PROTOTYPE_BOREX must name a borex built with the round's patch" >&2; exit 1; }

measured_round=15  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
defaults_flags=(--rise-infill mean --gp-over pixels --map-segments 0)
# defaults OUT_DIR SPLIT METHODS [MODEL]: a batch of this build's borex at its defaults.
defaults() {
  preset=kriging model=${4:-$model} batch "$1" "$2" "$3" "${defaults_flags[@]}"
}
head_split test 500
head_split val 100

# 1. Goal 4 on the full test split: the defaults against the code's settings, both priors.
defaults "$out/test-defaults" test500 rise,gradcam++,borex:rise,borex:gradcam++
against_code "$out/test-defaults" "$out/test-code" \
  "Goal 4: the defaults against the code's settings (test split, 500 scenes)"

# 2. Goals 1 and 2 on the second classifier (goal 7), the full test split.
defaults "$out/model2-test-defaults" test500 rise,gradcam++,borex:rise,borex:gradcam++ "$model2"
echo "### Goal 7: the second classifier against its priors (test split, 500 scenes)"
quality "$out/model2-test-defaults"
# Goal 7's deletion by the scenes' items and by the gate (open: the RISE prior's top 5% in two or
# more regions that each hold a tenth of it, so the field read its masks), test split.
echo "### BOREx(RISE)'s deletion against RISE by the gate (test split, 500 scenes)"
/usr/bin/python3 - "$root/scripts" "$data" "$out/test-defaults" "$out/model2-test-defaults" <<'PY'
import csv, glob, os, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from prior_regions import regions
from refine_quality import item_count, wilcoxon_greater
print("| run | scenes | gate | n | deletion BOREx(RISE) / RISE | images better | median difference | p better | p worse |")
print("|---|---|---|---:|---|---:|---:|---:|---:|")
data = sys.argv[2]
for run in sys.argv[3:]:
    rows = {m: {r["image_id"]: r for r in csv.DictReader(open(os.path.join(run, m + ".csv")))}
            for m in ("rise", "borex:rise")}
    groups, ids = {}, {}
    for image_id, row in rows["rise"].items():
        prior = np.load(glob.glob(os.path.join(run, "shard-*", "maps", "rise", image_id + ".npy"))[0])
        key = ("single" if item_count(data, image_id) == 1 else "multi",
               "open" if regions(prior, 0.05, 0.1) >= 2 else "closed")
        groups.setdefault(key, []).append(
            (float(rows["borex:rise"][image_id]["deletion"]), float(row["deletion"])))
        ids.setdefault(key, []).append(image_id)
    for (items, gate), pairs in sorted(groups.items(), reverse=True):
        if items == "single" and gate == "closed":
            with open(os.path.join(run, "single-closed.txt"), "w") as f:
                f.write("".join(image_id + "\n" for image_id in ids[(items, gate)]))
        b, a = np.array(pairs).T
        d = b - a
        print(f"| {os.path.basename(run)} | {items} | {gate} | {len(d)} | {b.mean():.4f} / {a.mean():.4f} | "
              f"{(d < 0).mean():.2f} | {np.median(d):+.4f} | {wilcoxon_greater(-d):.2g} | {wilcoxon_greater(d):.2g} |")
PY
# Where along the deletion curve the single-item scenes with the gate closed differ (the
# previous step wrote their ids).
echo "### Deletion curves of the single-item scenes where the gate stays closed (test split)"
for run in test-defaults model2-test-defaults; do
  file=$model
  [[ $run == model2-* ]] && file=$model2
  /usr/bin/python3 "$root/scripts/deletion_curves.py" --data "$data" --model "$file" \
    --ids "$out/$run/single-closed.txt" --median "$out/$run" rise borex:rise
done
# Opti-CAM, the third prior of goal 1, on both classifiers (never measured on the second).
defaults "$out/test-opticam" test500 opticam,borex:opticam
defaults "$out/model2-test-opticam" test500 opticam,borex:opticam "$model2"
echo "### Goal 1 for Opti-CAM, both classifiers (test split, 500 scenes)"
quality "$out/test-opticam" "$out/model2-test-opticam"

# 3. Validation: the gate also asks the prior's peaks to be separated beyond its Monte Carlo
# noise (BOREX_PROTOTYPE_GATE_Z = z standard errors), both classifiers.
# prototype OUT_DIR SPLIT Z [MODEL]: BOREx(RISE) of PROTOTYPE_BOREX with the noise-aware gate.
prototype() {
  BOREX_PROTOTYPE_GATE_Z=$3 borex=$PROTOTYPE_BOREX preset=kriging model=${4:-$model} \
    batch "$1" "$2" rise,borex:rise "${defaults_flags[@]}"
}
zs=(1 2 3)
defaults "$out/val-defaults" val100 rise,gradcam++,borex:rise,borex:gradcam++
defaults "$out/model2-val-defaults" val100 rise,borex:rise "$model2"
for z in "${zs[@]}"; do
  prototype "$out/val-gate-z$z" val100 "$z"
  prototype "$out/model2-val-gate-z$z" val100 "$z" "$model2"
  # The Grad-CAM++ rows of the objective: the defaults' (the gate reads RISE priors only).
  cp "$out/val-defaults/gradcam++.csv" "$out/val-defaults/borex:gradcam++.csv" \
    "$out/val-gate-z$z/"
done
echo "### Validation: the first round's rule"
quality --summary "$out/val-defaults" "${zs[@]/#/$out/val-gate-z}"
echo "### Validation: against RISE and against the defaults, both classifiers"
quality "$out/model2-val-defaults" "${zs[@]/#/$out/model2-val-gate-z}"
against_defaults "$out/val-defaults" "${zs[@]/#/$out/val-gate-z}"
against_defaults "$out/model2-val-defaults" "${zs[@]/#/$out/model2-val-gate-z}"
# Where each z closes the gate: a refined map that differs from the defaults' is one whose gate
# the noise test closed (the defaults' gate: scripts/prior_regions.py, top 5%).
echo "### Where the noise test closes the gate (maps that differ from the defaults')"
/usr/bin/python3 "$root/scripts/prior_regions.py" --data "$data" --fractions 0.05 \
  "$out/val-defaults" "$out/model2-val-defaults"
/usr/bin/python3 - "$data" "$out" "${zs[@]}" <<'PY'
import csv, glob, os, sys
import xml.etree.ElementTree as ET
import numpy as np
data, out, zs = sys.argv[1], sys.argv[2], sys.argv[3:]
def refined(run, image_id):
    return np.load(glob.glob(os.path.join(run, "shard-*", "maps", "borex:rise", image_id + ".npy"))[0])
print("| run | z | single-item scenes closed | multi-item scenes closed |")
print("|---|---:|---:|---:|")
for prefix in ("val", "model2-val"):
    for z in zs:
        run = os.path.join(out, f"{prefix}-gate-z{z}")
        closed, total = {"single": 0, "multi": 0}, {"single": 0, "multi": 0}
        for row in csv.DictReader(open(os.path.join(run, "borex:rise.csv"))):
            image_id = row["image_id"]
            root = ET.parse(os.path.join(data, "Annotations", image_id + ".xml")).getroot()
            kind = "single" if len(root.findall("object")) == 1 else "multi"
            total[kind] += 1
            closed[kind] += not np.array_equal(
                refined(run, image_id), refined(os.path.join(out, f"{prefix}-defaults"), image_id))
        print(f"| {prefix}-gate-z{z} | {z} | {closed['single']} of {total['single']} | "
              f"{closed['multi']} of {total['multi']} |")
PY
