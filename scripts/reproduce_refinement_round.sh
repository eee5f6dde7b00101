#!/usr/bin/env bash
# One round of issue 11's search, after the first: the candidates of
# scripts/refinement_configs_round$ROUND.txt on the validation split (reproduce_refinement.sh's
# rule), then the chosen one (CANDIDATE) once on the test split with RISE, Grad-CAM++ and
# Opti-CAM, on the second classifier, and against the authors' code's settings (goal 4), each
# refined map against its prior and, image by image, against the defaults it would replace (the
# file's "defaults" line, run here too). Prints the tables of docs/results.md's section for the
# round. Called by scripts/reproduce_refinement_round7.sh and _round8.sh.
#
# Environment: as scripts/reproduce_refinement.sh (BOREX, DATA, JOBS, SEED, STEP, OUT, default
# out/refinement$ROUND, TEST_IMAGES 500, SMALL_TEST_IMAGES 200, MODEL2), ROUND, CANDIDATE (the
# chosen configuration's name). Resumable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
round=${ROUND:?ROUND: the round, e.g. 8}
out=${OUT:-$root/out/refinement$round}
test_images=${TEST_IMAGES:-500}
val_images=${VAL_IMAGES:-100}
small_test_images=${SMALL_TEST_IMAGES:-200}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}
candidate=${CANDIDATE:?CANDIDATE: the configuration chosen on validation}
configs=$root/scripts/refinement_configs_round$round.txt
measured_round=$round  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
head_split test "$test_images"
head_split test "$small_test_images"
head_split val "$val_images"
flags_of() {  # the batch flags of configuration $1, without its --preset (set below)
  local line
  line=$(grep "^$1|" "$configs") || { echo "round$round: no configuration '$1' in $configs" >&2; exit 1; }
  line=${line#*|}
  echo "${line/--preset kriging /}"
}
preset=kriging
read -r -a defaults <<< "$(flags_of defaults)"
read -r -a chosen <<< "$(flags_of "$candidate")"
priors=rise,gradcam++,opticam,borex:rise,borex:gradcam++,borex:opticam
two=rise,gradcam++,borex:rise,borex:gradcam++

# 1. Validation: every configuration.
CONFIGS=$configs VALIDATION_ONLY=1 OUT=$out "$root/scripts/reproduce_refinement.sh"
val_dirs=()
while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] && continue
  val_dirs+=("$out/val-${line%%|*}")
done < "$configs"

# 2. Test split, once: the defaults and the candidate; the code's settings (goal 4); 3. the
# second classifier.
batch "$out/test-defaults" "test$test_images" "$priors" "${defaults[@]}"
batch "$out/test-$candidate" "test$test_images" "$priors" "${chosen[@]}"
preset=code batch "$out/test-code" "test$small_test_images" "$two" --rise-infill mean
model=$model2 batch "$out/model2-test-defaults" "test$small_test_images" "$two" "${defaults[@]}"
model=$model2 batch "$out/model2-test-$candidate" "test$small_test_images" "$two" "${chosen[@]}"

# previous DIR FROM: the defaults' refined maps of FROM as previous-*.csv in DIR.
previous() {
  local method
  for method in borex:rise borex:gradcam++ borex:opticam; do
    [[ -f $2/$method.csv ]] && cp "$2/$method.csv" "$1/previous-$method.csv"
  done
  return 0
}
previous "$out/val-$candidate" "$out/val-defaults"
previous "$out/test-$candidate" "$out/test-defaults"
previous "$out/model2-test-$candidate" "$out/model2-test-defaults"
for prior in rise gradcam++; do
  cp "$out/test-code/borex:$prior.csv" "$out/test-$candidate/code-borex:$prior.csv"
done
pairs=(--pair borex:rise=previous-borex:rise --pair borex:gradcam++=previous-borex:gradcam++)

echo "### Validation: the candidates against their priors"
quality --summary "${val_dirs[@]}"
quality "${val_dirs[@]}"
echo "### Validation: $candidate against the defaults, image by image"
quality "$out/val-$candidate" "${pairs[@]}"
echo "### Test split: the defaults and $candidate against their priors"
quality "$out/test-defaults" "$out/test-$candidate"
echo "### Test split: $candidate against the defaults, image by image"
quality "$out/test-$candidate" "${pairs[@]}" --pair borex:opticam=previous-borex:opticam
echo "### Test split: $candidate against the code's settings (first $small_test_images scenes), and BOREx(RISE) against Grad-CAM++ (goal 5)"
quality "$out/test-$candidate" --pair borex:rise=code-borex:rise \
  --pair borex:gradcam++=code-borex:gradcam++ --pair borex:rise=gradcam++
echo "### Second classifier: the defaults and $candidate against their priors; $candidate against the defaults"
quality "$out/model2-test-defaults" "$out/model2-test-$candidate"
quality "$out/model2-test-$candidate" "${pairs[@]}"
echo "### Time per image (test split, the batches' own measurement)"
for dir in "$out/test-defaults" "$out/test-$candidate"; do
  for method in borex:rise borex:gradcam++; do
    /usr/bin/python3 - "$dir/$method.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(sys.argv[1], "s/image %.3f" % statistics.mean(float(r["seconds"]) for r in rows),
      "model calls/image %.1f" % statistics.mean(float(r["model_calls"]) for r in rows))
PY
  done
done
