#!/usr/bin/env bash
# Issue 11, thirtieth round (validation only; docs/results.md "refinement30"): where the authors'
# code's BOREx(RISE) insertion edge on the second generator (round 28's goal 4) comes from, and two
# candidates from it. BOREx(RISE) only: the settings measured change no other refinement.
#   Step 1: on the shifted generator's first 300 validation scenes with its ResNet, today's
#           defaults, the code's settings, and the defaults less one of their parts at a time.
#   Step 2: "risenoise" (--fit-rise-observation-noise: the final map's noise variance of the RISE
#           prior's masks by marginal likelihood) on those 300 scenes and on the five classifiers'
#           first 100 validation scenes (the project's three, the shifted generator's two).
#   Step 3: "off" (--rise-observations off) on the five classifiers' 100.
# The defaults' 100-scene maps are made here too (the twenty-fourth and twenty-ninth rounds' runs
# of them, where present, are the same maps). Env: BOREX, JOBS, SEED, STEP as in
# scene_benchmark.sh; OUT (default out/refinement30).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement30}
project_data=$root/data/scenes
source "$root/scripts/shifted_scenes.sh"
source "$root/scripts/scene_benchmark.sh"
if [[ ! -f $project_data/ImageSets/Main/val.txt ]]; then
  /usr/bin/python3 "$root/scripts/make_scenes.py" --out "$project_data" --seed 0
fi
head_split val 300
head_split val 100
data=$project_data head_split val 100

# rise_batch NAME SPLIT [flags...]: BOREx(RISE) and RISE under the kriging defaults and the flags,
# into $out/NAME; NAME's prefix says the classifier and the scenes (shifted1, shifted2: the shifted
# generator's; model1-3: the project's, on its scenes).
rise_batch() {
  local name=$1 split=$2 scenes=$DATA model_file
  shift 2
  case $name in
    shifted1-*) model_file=${shifted_models[0]} ;;
    shifted2-*) model_file=${shifted_models[1]} ;;
    model*) model_file=${classifiers[${name:5:1} - 1]} scenes=$project_data ;;
  esac
  preset=${settings_preset:-kriging} rise_infill=mean gp_over=pixels model=$model_file \
    data=$scenes batch "$out/$name" "$split" rise,borex:rise "$@"
}
# against_defaults on NAME's scenes.
against_defaults_of() {
  local scenes=$DATA
  [[ $2 == */model* ]] && scenes=$project_data
  data=$scenes against_defaults "$@"
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
  settings_preset=$settings_preset rise_batch "shifted1-val300-$setting" val300 "${flags[@]}"
done
five=(shifted1 shifted2 model1 model2 model3)
for run in "${five[@]}"; do
  rise_batch "$run-val-defaults" val100
  rise_batch "$run-val-risenoise" val100 --fit-rise-observation-noise
  rise_batch "$run-val-off" val100 --rise-observations off
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
  scenes=$DATA
  [[ $run == model* ]] && scenes=$project_data
  data=$scenes quality --pair borex:rise=rise "$out/$run"-val-{defaults,risenoise,off}
done
echo "### Where the gate opens on the 300 shifted scenes: regions of the RISE prior's top pixels"
/usr/bin/python3 "$root/scripts/prior_regions.py" --data "$DATA" "$out/shifted1-val300-defaults"
