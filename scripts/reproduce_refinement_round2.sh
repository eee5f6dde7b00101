#!/usr/bin/env bash
# Issue 11, second round: the candidates of scripts/refinement_configs_round2*.txt on the
# validation split (scripts/reproduce_refinement.sh's step 1 and selection rule), then the
# chosen default, the mean-colour in-fill of the masks (--bo-infill mean), against the defaults
# it replaced (--bo-infill black) on the test split, image by image, with the priors RISE,
# Grad-CAM++ and Opti-CAM, on the second classifier, and against the authors' code's settings
# (--preset code); writes the "refinement2" section of
# docs/results.md (between its markers; the other sections are kept).
#
#   scripts/reproduce_refinement_round2.sh     # about 1.5 hours on 2 idle cores
#
# Environment: as scripts/reproduce_refinement.sh (BOREX, DATA, JOBS, SEED, STEP, OUT, default
# out/refinement2, TEST_IMAGES 500, SMALL_TEST_IMAGES 200, MODEL2), SECTION_ONLY (set: only
# rewrite the section from the runs already in OUT). Resumable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/refinement2}
test_images=${TEST_IMAGES:-500}
small_test_images=${SMALL_TEST_IMAGES:-200}
model2=${MODEL2:-$root/models/fashion_scenes_resnet_seed1.pt}
measured_round=2  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
head_split test "$test_images"
head_split test "$small_test_images"
[[ -f $model2 ]] || { echo "reproduce: $model2 not found: run scripts/reproduce_refinement.sh" \
  "first (it trains the second classifier)" >&2; exit 1; }

# 1. Validation: each round-2 file of candidates (the first holds the defaults before it).
configs=("$root"/scripts/refinement_configs_round2*.txt)
priors=(rise gradcam++ opticam)
if [[ -z ${SECTION_ONLY:-} ]]; then
  for file in "${configs[@]}"; do
    CONFIGS=$file VALIDATION_ONLY=1 OUT=$out "$root/scripts/reproduce_refinement.sh"
  done

  # 2. Test split, once: the chosen default against the previous one, the same images. The priors
  # are the same maps in both runs (their seeds derive from --seed and the image), so the second
  # run computes them only to refine them, and their rows are copied from the first.
  preset=kriging batch "$out/test-previous" "test$test_images" \
    rise,gradcam++,opticam,borex:rise,borex:gradcam++,borex:opticam --bo-infill black
  preset=kriging batch "$out/test-chosen" "test$test_images" \
    borex:rise,borex:gradcam++,borex:opticam
  for prior in "${priors[@]}"; do cp "$out/test-previous/$prior.csv" "$out/test-chosen/"; done

  # 3. The second classifier (seed 1), the first SMALL_TEST_IMAGES test scenes.
  preset=kriging model=$model2 batch "$out/model2-test-previous" "test$small_test_images" \
    rise,gradcam++,borex:rise,borex:gradcam++ --bo-infill black
  preset=kriging model=$model2 batch "$out/model2-test-chosen" "test$small_test_images" \
    borex:rise,borex:gradcam++
  for prior in rise gradcam++; do
    cp "$out/model2-test-previous/$prior.csv" "$out/model2-test-chosen/"
  done

  # 4. The authors' code's settings (issue 11's goal 4), the first SMALL_TEST_IMAGES test scenes.
  preset=code batch "$out/test-code" "test$small_test_images" borex:rise,borex:gradcam++
fi  # SECTION_ONLY
val_dirs=()
for file in "${configs[@]}"; do
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] || val_dirs+=("$out/val-${line%%|*}")
  done < "$file"
done

# 5. The section of docs/results.md.
for dir in test model2-test; do
  for prior in "${priors[@]}"; do
    [[ -f $out/$dir-previous/borex:$prior.csv ]] || continue
    cp "$out/$dir-previous/borex:$prior.csv" "$out/$dir-chosen/previous-borex:$prior.csv"
  done
done
for prior in rise gradcam++; do
  cp "$out/test-code/borex:$prior.csv" "$out/test-chosen/code-borex:$prior.csv"
done
pairs=(--pair borex:rise=previous-borex:rise --pair borex:gradcam++=previous-borex:gradcam++)
section=$out/refinement2.md
{
  echo "## Refinement, second round (issue 11): the masks' in-fill"
  echo
  echo "Written by \`scripts/reproduce_refinement_round2.sh\` (validation 100 scenes, test" \
    "$test_images scenes, second model $small_test_images, seed $seed, metric step $step," \
    "$jobs shards). Cells as in the section above: mean of the refined map / mean of the other," \
    "one-sided Wilcoxon p that the refined map is better, p that it is worse."
  echo
  echo "### Validation split: the candidates"
  echo
  quality --summary "${val_dirs[@]}"
  echo
  quality "${val_dirs[@]}"
  echo
  echo "### Test split, measured once: the chosen default against its prior"
  echo
  quality "$out/test-chosen" "$out/test-previous"
  echo
  echo "### Test split: the chosen default against the previous default, image by image"
  echo
  quality "$out/test-chosen" "${pairs[@]}" --pair borex:opticam=previous-borex:opticam
  echo
  echo "### Against the authors' code's settings (\`--preset code\`), the first" \
    "$small_test_images test scenes"
  echo
  quality "$out/test-chosen" --pair borex:rise=code-borex:rise \
    --pair borex:gradcam++=code-borex:gradcam++
  echo
  echo "### The second classifier (seed 1)"
  echo
  quality "$out/model2-test-chosen" "$out/model2-test-previous"
  echo
  quality "$out/model2-test-chosen" "${pairs[@]}"
  echo
  cat "$root/docs/results-refinement2-discussion.md"
} > "$section"
/usr/bin/python3 "$root/scripts/replace_results_section.py" refinement2 "$root/docs/results.md" \
  "$section"
echo "reproduce_refinement_round2: wrote the refinement2 section of docs/results.md" >&2
