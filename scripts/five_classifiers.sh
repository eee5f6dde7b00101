# shellcheck shell=bash
# Sourced by issue 11's rounds that measure the five classifiers (reproduce_refinement_round30.sh,
# _round31.sh): the project's three on data/scenes and the shifted generator's two on $DATA. Sources
# shifted_scenes.sh and scene_benchmark.sh, makes the project's scenes where absent, writes the
# first 100 validation scenes of both generators and the first 300 of the shifted one as splits
# (val100, val300), and defines the helpers below. A run is named for its classifier and scenes:
# shifted1-*, shifted2-* (the shifted generator's ResNet and plain CNN), model1-* to model3-* (the
# project's). Expects $root set by the caller.
: "${root:?five_classifiers.sh: the caller sets root}"
project_data=$root/data/scenes
source "$root/scripts/shifted_scenes.sh"
source "$root/scripts/scene_benchmark.sh"
if [[ ! -f $project_data/ImageSets/Main/val.txt ]]; then
  /usr/bin/python3 "$root/scripts/make_scenes.py" --out "$project_data" --seed 0
fi
head_split val 300
head_split val 100
data=$project_data head_split val 100
# shellcheck disable=SC2034  # read by the scripts that source this file
five=(shifted1 shifted2 model1 model2 model3)

# scenes_of NAME: the scenes of the run NAME (a path or a name): the shifted generator's when the
# name says "shifted" anywhere (model1-shifted-holdout too), else the project's.
scenes_of() {
  if [[ ${1##*/} == *shifted* ]]; then echo "$DATA"; else echo "$project_data"; fi
}
# model_of NAME: the classifier of the run NAME.
model_of() {
  case ${1##*/} in
    shifted1-*) echo "${shifted_models[0]}" ;;
    shifted2-*) echo "${shifted_models[1]}" ;;
    model*) local name=${1##*/} && echo "${classifiers[${name:5:1} - 1]}" ;;
  esac
}
# against_defaults_of DEFAULTS_DIR DIR... [-- PRIOR...]: against_defaults on DIR's scenes.
against_defaults_of() {
  data=$(scenes_of "$2") against_defaults "$@"
}
# noise_factor_check OUT_PREFIX LABEL [COMMAND...]: `borex refine --fit-rise-observation-noise`
# (run through COMMAND when given, e.g. a function that sets the environment) on the first 6
# shifted and 2 project validation scenes, into OUT_PREFIX-SCENE; prints per scene LABEL, the RISE
# masks read, the masks' noise factor of maximum marginal likelihood and the prior's coefficient a.
noise_factor_check() {
  local prefix=$1 label=$2 scene image model_file
  shift 2
  for scene in shifted:val_000000 shifted:val_000001 shifted:val_000002 shifted:val_000003 \
    shifted:val_000004 shifted:val_000005 project:val_000000 project:val_000001; do
    image=$DATA/JPEGImages/${scene#*:}.png model_file=${shifted_models[0]}
    if [[ $scene == project:* ]]; then
      image=$project_data/JPEGImages/${scene#*:}.png model_file=${classifiers[0]}
    fi
    "$@" "$borex" refine --model "$model_file" --image "$image" --fit-rise-observation-noise \
      --seed "$seed" --out "$prefix-${scene/:/-}" > /dev/null
    /usr/bin/python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(sys.argv[2], sys.argv[3], "RISE masks read:", s["prior"]["rise_observations"],
      "factor:", s["rise_noise_factor"], "a:", round(s["prior"]["coefficient"], 3))' \
      "$prefix-${scene/:/-}.json" "$scene" "$label"
  done
}
# holdout_item_evidence METHOD...: scripts/item_evidence.py on the five classifiers' held-out maps
# (the thirty-fourth round's 500 shifted scenes, the thirty-second round's 500 project scenes).
holdout_item_evidence() {
  local i
  for i in 1 2; do
    item_evidence "$DATA" "${shifted_models[i - 1]}" \
      "$root/out/refinement34/model$i-shifted-holdout" "$@"
  done
  for i in 1 2 3; do
    item_evidence "$project_data" "${classifiers[i - 1]}" "$root/out/refinement32/model$i-holdout" \
      "$@"
  done
}
# five_validation_tables OUT CANDIDATE...: a validation round's tables on the five classifiers
# (issue 11, rounds 35 and 42), from OUT/<run>-val-defaults and OUT/<run>-val-CANDIDATE, RISE and
# Grad-CAM++: each candidate against the defaults, the rule's cells (Holm within each classifier),
# the first round's objective, and every setting against its priors.
five_validation_tables() {
  local out=$1 run
  shift
  local names
  names=$(IFS=,; echo "defaults,$*")
  names=${names//,/, }
  echo "### The candidates against the defaults (both priors)"
  for run in "${five[@]}"; do
    against_defaults_of "$out/$run-val-defaults" "${@/#/$out/$run-val-}" -- rise gradcam++
  done
  echo "### The rule's cells (against the defaults, Holm within each classifier)"
  for run in "${five[@]}"; do
    data=$(scenes_of "$run") quality --summary --holm \
      --pair borex:rise=previous-borex:rise --pair borex:gradcam++=previous-borex:gradcam++ \
      "${@/#/$out/$run-val-}"
  done
  echo "### The first round's objective per classifier ($names)"
  for run in "${five[@]}"; do
    data=$(scenes_of "$run") quality --summary "${two_priors[@]}" \
      "$out/$run-val-defaults" "${@/#/$out/$run-val-}"
  done
  echo "### Against the priors ($names)"
  for run in "${five[@]}"; do
    data=$(scenes_of "$run") quality "${two_priors[@]}" "$out/$run-val-defaults" \
      "${@/#/$out/$run-val-}"
  done
}
# val100_batch DIR RUN [VAR=VALUE...]: RISE and Grad-CAM++ and their refinements on RUN's first 100
# validation scenes into DIR, with the variables in the environment (a prototype's switches;
# issue 11, rounds 42-45). A finished batch is kept; an unfinished one starts again.
val100_batch() {
  local dir=$1 run=$2
  shift 2
  [[ -f $dir/report.json ]] || rm -rf "$dir"
  (
    # shellcheck disable=SC2163  # the arguments are VAR=VALUE words, exported as such
    (($#)) && export "$@"
    preset=kriging rise_infill=mean gp_over=pixels model=$(model_of "$run-val") \
      data=$(scenes_of "$run") batch "$dir" val100 rise,gradcam++,borex:rise,borex:gradcam++
  )
}
# differing_maps CANDIDATE_DIR DEFAULTS_DIR LABEL: per refined method, how many of CANDIDATE_DIR's
# refined maps differ from DEFAULTS_DIR's (by their metrics; scripts/gated_splice.py's comparison),
# one line each under LABEL: where a gated prototype's gate opened (issue 11, rounds 43 and 45).
differing_maps() {
  PYTHONPATH=$root/scripts /usr/bin/python3 -c 'import sys
from gated_splice import differing_rows
for name, images in differing_rows(sys.argv[1], sys.argv[2]).items():
    print(sys.argv[3], name[len("borex:"):-len(".csv")], len(images))' "$@"
}
