#!/usr/bin/env bash
# Issue 11, thirtieth round (validation only; docs/results.md "refinement30"): where the authors'
# code's BOREx(RISE) insertion edge on the second generator (round 28's goal 4) comes from, and two
# candidates from it; then the same diagnosis for Grad-CAM++.
#   Step 1: on the shifted generator's first 300 validation scenes with its ResNet, today's
#           defaults, the code's settings, and the defaults less one of their parts at a time.
#   Step 2: "risenoise" (--fit-rise-observation-noise: the final map's noise variance of the RISE
#           prior's masks by marginal likelihood) on those 300 scenes and on the five classifiers'
#           first 100 validation scenes (the project's three, the shifted generator's two).
#   Step 3: "off" (--rise-observations off) on the five classifiers' 100.
#   Step 4: as step 1, for Grad-CAM++ (goal 3 on the second generator): BOREx(Grad-CAM++) under
#           the defaults, the code's settings, and the defaults less one part at a time.
# Steps 1-3 measure BOREx(RISE) only. The defaults' 100-scene maps are made here too (the twenty-fourth and twenty-ninth rounds' runs
# of them, where present, are the same maps). Env: BOREX, JOBS, SEED, STEP as in
# scene_benchmark.sh; OUT (default out/refinement30).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement30}
source "$root/scripts/five_classifiers.sh"

# named_batch NAME SPLIT [flags...]: RISE and BOREx(RISE) (or $methods) under $settings_preset
# (default kriging) and the flags, into $out/NAME (five_classifiers.sh names the runs).
named_batch() {
  local name=$1 split=$2
  shift 2
  preset=${settings_preset:-kriging} rise_infill=mean gp_over=pixels model=$(model_of "$name") \
    data=$(scenes_of "$name") batch "$out/$name" "$split" "${methods:-rise,borex:rise}" "$@"
}

settings=(defaults code pixel-level-sets no-rise-observations sd1 risenoise)
for setting in "${settings[@]}"; do
  settings_preset=kriging flags=()
  case $setting in
    code) settings_preset=code flags=(--gp-over masks) ;;
    pixel-level-sets) flags=(--level-set-segments 0) ;;
    no-rise-observations) flags=(--rise-observations off) ;;
    sd1) flags=(--prior-coefficient-sd 1 --no-fit-prior-coefficient-sd) ;;
    risenoise) flags=(--fit-rise-observation-noise) ;;
  esac
  settings_preset=$settings_preset named_batch "shifted1-val300-$setting" val300 "${flags[@]}"
done
for run in "${five[@]}"; do
  named_batch "$run-val-defaults" val100
  named_batch "$run-val-risenoise" val100 --fit-rise-observation-noise
  named_batch "$run-val-off" val100 --rise-observations off
done

echo "### Step 1 (validation, 300 shifted scenes): BOREx(RISE) of each setting against the defaults'"
for setting in "${settings[@]:1:4}"; do
  against_defaults "$out/shifted1-val300-defaults" "$out/shifted1-val300-$setting"
done
echo "### Step 2 (validation): risenoise's BOREx(RISE) against the defaults'"
against_defaults "$out/shifted1-val300-defaults" "$out/shifted1-val300-risenoise"
for run in "${five[@]}"; do
  against_defaults_of "$out/$run-val-defaults" "$out/$run-val-risenoise"
done
echo "### Step 3 (validation): off's BOREx(RISE) against the defaults'"
for run in "${five[@]}"; do
  against_defaults_of "$out/$run-val-defaults" "$out/$run-val-off"
done
echo "### BOREx(RISE) against RISE on the five classifiers' 100 scenes: defaults, risenoise, off"
for run in "${five[@]}"; do
  data=$(scenes_of "$run") quality --pair borex:rise=rise "$out/$run"-val-{defaults,risenoise,off}
done
echo "### Where the gate opens on the 300 shifted scenes: regions of the RISE prior's top pixels"
/usr/bin/python3 "$root/scripts/prior_regions.py" --data "$DATA" "$out/shifted1-val300-defaults"

# Step 4: Grad-CAM++ on the 300 shifted scenes.
gradcam_settings=(defaults code no-posterior-level-sets no-prior-level-sets pixel-level-sets
  no-average sequential)
for setting in "${gradcam_settings[@]}"; do
  settings_preset=kriging flags=()
  case $setting in
    code) settings_preset=code flags=(--gp-over masks) ;;
    no-posterior-level-sets) flags=(--posterior-level-sets none) ;;
    no-prior-level-sets) flags=(--prior-level-sets none) ;;
    pixel-level-sets) flags=(--level-set-segments 0) ;;
    no-average) flags=(--no-average-hyperparameters --no-fit-prior-coefficient-sd) ;;
    sequential) flags=(--acquisition-batch 1) ;;
  esac
  methods=gradcam++,borex:gradcam++ settings_preset=$settings_preset \
    named_batch "shifted1-val300-gradcam-$setting" val300 "${flags[@]}"
done
echo "### Step 4 (validation, 300 shifted scenes): BOREx(Grad-CAM++) of each setting against the defaults' and against Grad-CAM++"
for setting in "${gradcam_settings[@]:1}"; do
  against_defaults "$out/shifted1-val300-gradcam-defaults" "$out/shifted1-val300-gradcam-$setting" \
    -- gradcam++
done
quality --pair borex:gradcam++=gradcam++ "$out"/shifted1-val300-gradcam-{defaults,code,no-posterior-level-sets,no-prior-level-sets,pixel-level-sets,no-average,sequential}
# The single-item pointing cell (the defaults' BOREx(Grad-CAM++) against Grad-CAM++), split by
# whether the model's top class on the whole image is the label (the eighteenth round's split),
# and the single-item scenes where the two disagree.
gradcam_defaults=$out/shifted1-val300-gradcam-defaults
probabilities=$out/shifted1-val300-label-probability.csv
/usr/bin/python3 "$root/scripts/label_probability.py" --data "$DATA" \
  --model "${shifted_models[0]}" "$gradcam_defaults/gradcam++.csv" > "$probabilities"
echo "### Step 4: the single-item pointing game, BOREx(Grad-CAM++) worse than Grad-CAM++? By whether the model recognises the label"
echo '```'
for where in "correct>0" "correct<1"; do
  "$borex" compare "$gradcam_defaults/borex:gradcam++.csv" "$gradcam_defaults/gradcam++.csv" \
    --metric pointing_hit --alternative less --where "$probabilities:items<2" \
    --where "$probabilities:$where" 2>&1 | grep -E "where|pairs|mean|p-value" | sed "s|$root/||"
done
/usr/bin/python3 - "$gradcam_defaults" "$probabilities" <<'PY'
import csv, sys
run, probabilities = sys.argv[1:]
refined = {r["image_id"]: r for r in csv.DictReader(open(f"{run}/borex:gradcam++.csv"))}
prior = {r["image_id"]: r for r in csv.DictReader(open(f"{run}/gradcam++.csv"))}
label = {r["image_id"]: r for r in csv.DictReader(open(probabilities))}
for image in sorted(refined):
    if label[image]["items"] == "1" and refined[image]["pointing_hit"] != prior[image]["pointing_hit"]:
        print(f"{image}: BOREx(Grad-CAM++) hit {refined[image]['pointing_hit']}, Grad-CAM++ hit "
              f"{prior[image]['pointing_hit']}, a = {float(refined[image]['prior_coefficient']):.2f}, "
              f"p(label) = {float(label[image]['probability']):.2f}, top class is the label: "
              f"{label[image]['correct']}")
PY
echo '```'

# Step 5 (validation): the candidate "noposterior" (--posterior-level-sets none), both priors, on
# the five classifiers' 100 scenes, against the twenty-fourth and twenty-ninth rounds' runs of
# the defaults (run scripts/reproduce_refinement_round24.sh and _round29.sh first, or set
# DEFAULTS24, DEFAULTS29).
defaults24=${DEFAULTS24:-$root/out/refinement24}
defaults29=${DEFAULTS29:-$root/out/refinement29}
both_defaults=("$defaults29/shifted1-val-defaults" "$defaults29/shifted2-val-defaults"
  "$defaults24/model1-val-avgsd" "$defaults24/model2-val-avgsd" "$defaults24/model3-val-avgsd")
for run in "${five[@]}"; do
  methods=rise,gradcam++,borex:rise,borex:gradcam++ \
    named_batch "$run-val-noposterior" val100 --posterior-level-sets none
done
echo "### Step 5 (validation): noposterior against the defaults, both priors"
for k in "${!five[@]}"; do
  against_defaults_of "${both_defaults[k]}" "$out/${five[k]}-val-noposterior" -- rise gradcam++
done
echo "### Step 5: the first round's rule (objective per classifier, defaults then noposterior)"
for k in "${!five[@]}"; do
  data=$(scenes_of "${five[k]}") quality --summary "${two_priors[@]}" "${both_defaults[k]}" \
    "$out/${five[k]}-val-noposterior"
done
echo "### Step 5: noposterior against the priors"
for run in "${five[@]}"; do
  data=$(scenes_of "$run") quality "${two_priors[@]}" "$out/$run-val-noposterior"
done
echo "### Step 2: the masks' noise factor the evidence picks (most likely grid point), first validation scenes"
noise_factor_check "$out/factor" defaults
