#!/usr/bin/env bash
# Issue 11's eleventh round (docs/algorithm.md "Eleventh round", docs/results.md "refinement11"):
# the candidates of scripts/refinement_configs_round11.txt on the validation split, then the two
# measured on the test split (scripts/reproduce_refinement_round.sh): map-segments05, the rule's
# choice, and raise05, chosen after the first lost deletion there; then the controls: each prior
# moved over the image's segments alone (METHOD:segments, no observation), and BOREx against
# them image by image. Prints the tables of docs/results.md's "refinement11" section.
#
# Last, because raise05 was chosen after the blend's test result had been seen: the ninth round's
# defaults and raise05 once more on 500 test scenes no round had used (ids 1000-1499 of the test
# split), RISE and Grad-CAM++.
#
#   scripts/reproduce_refinement_round11.sh    # about 2.5 hours on 2 idle cores
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for candidate in map-segments05 raise05; do
  ROUND=11 CANDIDATE=$candidate "$root/scripts/reproduce_refinement_round.sh"
done

out=${OUT:-$root/out/refinement11}
test_images=${TEST_IMAGES:-500}
val_images=${VAL_IMAGES:-100}
measured_round=11  # scene_benchmark.sh pins the defaults adopted since
source "$root/scripts/scene_benchmark.sh"
two_priors=rise,gradcam++,borex:rise,borex:gradcam++
for form in blend raise; do
  candidate=$([[ $form == blend ]] && echo map-segments05 || echo raise05)
  flags=(--rise-infill mean --gp-over pixels --map-segments 0.5 --map-segments-form "$form")
  test_priors=rise,gradcam++
  [[ $form == blend ]] && test_priors+=,opticam
  methods() { local m list=$1; for m in ${1//,/ }; do list+=,$m:segments; done; echo "$list"; }
  preset=kriging batch "$out/val-control-$form" "val$val_images" "$(methods rise,gradcam++)" \
    "${flags[@]}"
  preset=kriging batch "$out/test-control-$form" "test$test_images" "$(methods "$test_priors")" \
    "${flags[@]}"
  val_pairs=() test_pairs=() control_pairs=()
  for prior in ${test_priors//,/ }; do
    for split in val test; do
      [[ -f $out/$split-control-$form/$prior:segments.csv ]] &&
        cp "$out/$split-control-$form/$prior:segments.csv" "$out/$split-$candidate/control-$prior.csv"
    done
    [[ $prior != opticam ]] && val_pairs+=(--pair "borex:$prior=control-$prior")
    test_pairs+=(--pair "borex:$prior=control-$prior")
    control_pairs+=(--pair "$prior:segments=$prior")
  done
  echo "### The control ($form): each prior moved over the image's segments alone, against the prior"
  quality "$out/val-control-$form" "${control_pairs[@]:0:4}"
  quality "$out/test-control-$form" "${control_pairs[@]}"
  echo "### $candidate against the control, image by image"
  quality "$out/val-$candidate" "${val_pairs[@]}"
  quality "$out/test-$candidate" "${test_pairs[@]}"
done

# A fresh held-out set: test scenes 1000-1499, never used by any round.
sed -n '1001,1500p' "$data/ImageSets/Main/test.txt" > "$data/ImageSets/Main/test_holdout.txt"
preset=kriging batch "$out/holdout-defaults" test_holdout "$two_priors" --rise-infill mean \
  --gp-over pixels --map-segments 0
preset=kriging batch "$out/holdout-raise05" test_holdout "$two_priors" --rise-infill mean \
  --gp-over pixels --map-segments 0.5 --map-segments-form raise
for prior in rise gradcam++; do
  cp "$out/holdout-defaults/borex:$prior.csv" "$out/holdout-raise05/previous-borex:$prior.csv"
done
echo "### Held-out test scenes 1000-1499: the defaults and raise05 against the priors; raise05 against the defaults"
quality "$out/holdout-defaults" "$out/holdout-raise05"
quality "$out/holdout-raise05" --pair borex:rise=previous-borex:rise \
  --pair borex:gradcam++=previous-borex:gradcam++
