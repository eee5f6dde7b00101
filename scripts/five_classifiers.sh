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

# scenes_of NAME: the scenes of the run NAME (a path or a name).
scenes_of() {
  if [[ ${1##*/} == model* ]]; then echo "$project_data"; else echo "$DATA"; fi
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
