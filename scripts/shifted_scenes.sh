# shellcheck shell=bash
# Sourced, before scene_benchmark.sh, by issue 11's rounds on the second scene generator
# (reproduce_refinement_round28.sh; _round30.sh and _round31.sh through five_classifiers.sh):
# exports DATA (default data/shifted_scenes), sets shifted_models (the generator's own
# classifiers: the ResNet, and the plain CNN for the second-model check; SHIFTED_MODEL,
# SHIFTED_MODEL2 override them), and makes what is absent: the scenes (scripts/make_scenes.py
# --style shifted, about a minute) and the two classifiers (about 16 minutes each on 2 cores).
# Expects $root set by the caller.
export DATA=${DATA:-$root/data/shifted_scenes}
# shellcheck disable=SC2034  # read by the scripts that source this file
shifted_models=("${SHIFTED_MODEL:-$root/models/fashion_shifted_resnet.pt}"
  "${SHIFTED_MODEL2:-$root/models/fashion_shifted_plaincnn.pt}")
if [[ ! -f $DATA/ImageSets/Main/test.txt ]]; then
  /usr/bin/python3 "$root/scripts/make_scenes.py" --out "$DATA" --style shifted --seed 0 \
    --multi-fraction 0.5
fi
for arch in resnet plain; do
  file=${shifted_models[0]}
  [[ $arch == plain ]] && file=${shifted_models[1]}
  [[ -f $file ]] || /usr/bin/python3 "$root/scripts/train_scene_classifier.py" --data "$DATA" \
    --out "$file" --arch "$arch" --epochs 16 --seed 0
done
