# shellcheck shell=bash
# Sourced by the scene-benchmark reproduction scripts (reproduce_tables.sh,
# reproduce_methods_table.sh, reproduce_refinement*.sh): the shared settings from the environment
# (BOREX, DATA, JOBS, SEED, STEP, PRESET, RISE_INFILL, GP_OVER), the checks, the dataset,
# generated when absent, and the helpers below (head_split, batch, quality, against_defaults).
# Expects $root set by the caller. PRESET (default paper): the `--preset` of every batch, so that
# the tables measured before the kriging preset became the default are reproduced as they were;
# RISE_INFILL (default black) likewise for RISE's masks (and the RISE prior's), the in-fill
# before the mean colour became RISE's default (a batch's own --rise-infill wins); GP_OVER
# (default masks) likewise for the GP's domain, the squares' before the pixel field became the
# images' default (a batch's own --gp-over wins).
borex=${BOREX:-$root/build/borex}
data=${DATA:-$root/data/scenes}
jobs=${JOBS:-$(nproc)}
seed=${SEED:-0}
step=${STEP:-256}
preset=${PRESET:-paper}
rise_infill=${RISE_INFILL:-black}
gp_over=${GP_OVER:-masks}
model=$root/models/fashion_scenes_resnet.pt
# Issue 11's later rounds: the three classifiers (the first, another training seed, another
# architecture), the flags that make a batch the kriging defaults over this file's reproduction
# settings, the two priors' pairs for `quality`, and the defaults' test runs on the black
# substrate per classifier (the fifteenth and seventeenth rounds').
# shellcheck disable=SC2034  # these four are read by the scripts that source this file
classifiers=("$model" "$root/models/fashion_scenes_resnet_seed1.pt"
  "$root/models/fashion_scenes_plaincnn.pt")
# shellcheck disable=SC2034
kriging_flags=(--rise-infill mean --gp-over pixels --map-segments 0)
# shellcheck disable=SC2034
two_priors=(--pair "borex:rise=rise" --pair "borex:gradcam++=gradcam++")
# shellcheck disable=SC2034
default_test_runs=("$root/out/refinement15/test-defaults" "$root/out/refinement15/model2-test-defaults"
  "$root/out/refinement17/model3-test-defaults")

[[ -x $borex ]] || { echo "reproduce: $borex not found: run scripts/build.sh" >&2; exit 1; }
command -v parallel >/dev/null ||
  { echo "reproduce: needs GNU parallel: run scripts/install_deps.sh --slow" >&2; exit 1; }
if [[ ! -f $data/ImageSets/Main/test.txt ]]; then
  echo "reproduce: generating the scene dataset in $data (several minutes)" >&2
  /usr/bin/python3 "$root/scripts/make_scenes.py" --out "$data" --seed 0
fi

# head_split SPLIT N: the first N ids of SPLIT as the split SPLIT$N (the generator shuffles
# nothing, so these are scenes 0..N-1).
head_split() {
  head -n "$2" "$data/ImageSets/Main/$1.txt" > "$data/ImageSets/Main/$1$2.txt"
}

# Issue 11's rounds: measured_round, when the calling round script sets it (before or after
# sourcing this file), is the round whose measurements its kriging batches reproduce. The
# defaults adopted at the end of that round or later are then pinned back to their earlier values
# (batch_pins), so that a round's script measures today what it measured then. Only this
# checkout's build is pinned: a prototype built from a round's own commit has that round's
# defaults already.
this_borex=$borex

# pins_since_round ROUND FIELD: prints the flags that undo, for a kriging batch of ROUND, the
# defaults adopted since (FIELD: 1 for the pixel field, whose settings the squares' GP refuses).
pins_since_round() {
  local round=$1 field=$2 pins=()
  ((round <= 2)) && pins+=(--bo-infill black)  # second round: the masks' in-fill, mean colour
  if ((field)); then
    # seventh round: the field's σn² 0.3 and the prior's level sets; ninth: level sets of segments
    # and the posterior's level sets; thirteenth: the RISE prior's masks as observations, all of
    # them (the fourteenth round's limit of 100 came before its own measurements); twenty-first:
    # the averaged final map and a's prior std fit.
    ((round <= 7)) && pins+=(--noise 0.01 --prior-level-sets none)
    ((round <= 9)) && pins+=(--level-set-segments 0 --posterior-level-sets none)
    ((round <= 13)) && pins+=(--rise-observations off --rise-observation-limit 0)
    ((round <= 21)) && pins+=(--no-average-hyperparameters --no-fit-prior-coefficient-sd)
  fi
  echo "${pins[*]}"
}

# batch_pins [batch flags...]: the pins (pins_since_round) a batch with these flags gets, for the
# calling round's measured_round, $preset, $borex and $gp_over; empty without measured_round,
# for a preset other than kriging and for a prototype's borex. An option with a value the
# batch names itself is not pinned (CLI11 refuses a repeated option); flags are (the last wins).
batch_pins() {
  [[ -n ${measured_round:-} && $preset == kriging && $borex == "$this_borex" ]] || return 0
  local effective=$gp_over previous='' flag all_pins pins=() i
  for flag in "$@"; do
    [[ $previous == --gp-over ]] && effective=$flag
    previous=$flag
  done
  read -r -a all_pins <<< "$(pins_since_round "$measured_round" "$([[ $effective != masks ]] && echo 1 || echo 0)")"
  for ((i = 0; i < ${#all_pins[@]}; ++i)); do
    if [[ ${all_pins[i + 1]:---} != --* ]]; then
      [[ " $* " == *" ${all_pins[i]} "* ]] || pins+=("${all_pins[i]}" "${all_pins[i + 1]}")
      i=$((i + 1))
    else
      pins+=("${all_pins[i]}")
    fi
  done
  echo "${pins[*]}"
}

# batch OUT_DIR SPLIT METHODS [extra flags...]: `borex batch` on the bundled model, sharded over
# $jobs processes and merged (scripts/batch_parallel.sh), with batch_pins ahead of the flags.
batch() {
  local dir=$1 split=$2 methods=$3
  shift 3
  local infill=(--rise-infill "$rise_infill") domain=(--gp-over "$gp_over") flag pins
  for flag in "$@"; do
    [[ $flag == --rise-infill ]] && infill=()
    [[ $flag == --gp-over ]] && domain=()
  done
  read -r -a pins <<< "$(batch_pins "$@")"
  "$root/scripts/batch_parallel.sh" -j "$jobs" --borex "$borex" -- \
    --model "$model" --voc-root "$data" --seed "$seed" --step "$step" --preset "$preset" \
    --split "$split" --methods "$methods" --out "$dir" "${infill[@]}" "${domain[@]}" "${pins[@]}" \
    "$@"
}

# quality ARGS...: scripts/refine_quality.py on this dataset (refined maps against their priors,
# --pair, --summary).
quality() { /usr/bin/python3 "$root/scripts/refine_quality.py" --data "$data" "$@"; }

# item_evidence DATA MODEL RUN METHOD...: scripts/item_evidence.py on RUN's several-item scenes
# (issue 11, rounds 34 and 36), paths printed relative to the checkout.
item_evidence() {
  local scenes=$1 model_file=$2 run=$3
  shift 3
  /usr/bin/python3 "$root/scripts/item_evidence.py" --data "$scenes" --model "$model_file" "$run" \
    "$@" | sed "s|$root/||"
}

# against_defaults DEFAULTS_DIR DIR... [-- PRIOR...]: each DIR's BOREx(PRIOR) against
# DEFAULTS_DIR's, image by image (the defaults' CSVs copied in as previous-borex:PRIOR; PRIOR:
# rise unless given).
against_defaults() {
  local defaults_dir=$1 dirs=() compared=(rise) dir prior pairs
  shift
  while (($#)) && [[ $1 != -- ]]; do dirs+=("$1"); shift; done
  (($#)) && shift && compared=("$@")
  for dir in "${dirs[@]}"; do
    pairs=()
    for prior in "${compared[@]}"; do
      cp "$defaults_dir/borex:$prior.csv" "$dir/previous-borex:$prior.csv"
      pairs+=(--pair "borex:$prior=previous-borex:$prior")
    done
    quality "$dir" "${pairs[@]}"
  done
}

# candidate_test_tables OUT CANDIDATE: a candidate default's test-split tables (issue 11, rounds
# 20-21), from OUT/model<i>-test-{defaults,CANDIDATE} (the three classifiers, RISE and
# Grad-CAM++) and OUT/model<i>-test-opticam-{defaults,CANDIDATE} (the two ResNets, Opti-CAM):
# against the priors, the defaults against the priors, against the defaults, goal 5, inverted
# maps and how the candidate moved the prior's coefficient.
candidate_test_tables() {
  local out=$1 run=$2 i
  echo "### The test split, $run: against the priors"
  quality "$out"/model{1,2,3}-test-"$run" "$out"/model{1,2}-test-opticam-"$run"
  echo "### The test split: the defaults against the priors"
  quality "$out"/model{1,2,3}-test-defaults "$out"/model{1,2}-test-opticam-defaults
  echo "### The test split, $run: against the defaults"
  for i in 1 2 3; do
    against_defaults "$out/model$i-test-defaults" "$out/model$i-test-$run" -- rise gradcam++
  done
  for i in 1 2; do
    against_defaults "$out/model$i-test-opticam-defaults" "$out/model$i-test-opticam-$run" \
      -- opticam
  done
  echo "### Goal 5: BOREx(RISE) against Grad-CAM++ (test split, $run)"
  quality --pair borex:rise=gradcam++ "$out"/model{1,2,3}-test-"$run"
  echo "### The test split: refined maps with a negative prior coefficient"
  /usr/bin/python3 "$root/scripts/inverted_maps.py" "$out"/model{1,2,3}-test-{defaults,"$run"} \
    "$out"/model{1,2}-test-opticam-{defaults,"$run"}
  echo "### The test split, $run: the prior's coefficient a against the defaults'"
  /usr/bin/python3 "$root/scripts/coefficients_moved.py" "$run" "$out"/model{1,2,3}-test \
    "$out"/model{1,2}-test-opticam
}

# validation_candidate DEFAULTS RUN: a candidate's validation tables on the three classifiers
# (issue 11, rounds 21 and 23), RISE and Grad-CAM++: $out/model<i>-val-RUN against the priors,
# then image by image against $out/model<i>-val-DEFAULTS.
validation_candidate() {
  local defaults=$1 run=$2 i
  echo "### Validation, $run: against the priors"
  quality "${two_priors[@]}" "$out"/model{1,2,3}-val-"$run"
  echo "### Validation, $run: against the defaults"
  for i in 1 2 3; do
    against_defaults "$out/model$i-val-$defaults" "$out/model$i-val-$run" -- rise gradcam++
  done
}

# run_batches NAME SPLIT METHODS RUNS CLASSIFIER_INDEX...: per classifier (0-based in classifiers)
# and run, a kriging batch $out/model<i+1>-NAME-RUN (issue 11, rounds 20-23). Every setting by
# name: "defaults" are the twentieth round's defaults, "fitsd" its candidate, "avg" and "avgsd"
# the twenty-first round's (avgsd its defaults since), "all" the twenty-second round's, "nu12",
# "nu52" and "avgnoise" the twenty-third's, "shaped" the twenty-fourth's.
run_batches() {
  local name=$1 split=$2 methods=$3 runs=$4 i run flags
  local today=(--average-hyperparameters --fit-prior-coefficient-sd)  # the defaults since round 21
  shift 4
  for i in "$@"; do
    for run in $runs; do
      case $run in
        defaults) flags=(--no-average-hyperparameters --no-fit-prior-coefficient-sd) ;;
        fitsd) flags=(--no-average-hyperparameters --fit-prior-coefficient-sd) ;;
        avg) flags=(--average-hyperparameters --no-fit-prior-coefficient-sd) ;;
        avgsd) flags=("${today[@]}") ;;
        all) flags=("${today[@]}" --rise-observations all) ;;
        avgnoise) flags=("${today[@]}" --fit-noise-variance) ;;
        nu12 | nu52) flags=("${today[@]}" --kernel "matern${run#nu}") ;;
        shaped) flags=("${today[@]}" --deviation-floors "0.3,0.1") ;;
        *) echo "run_batches: unknown run $run" >&2; return 1 ;;
      esac
      preset=kriging model=${classifiers[i]} batch "$out/model$((i + 1))-$name-$run" "$split" \
        "$methods" "${kriging_flags[@]}" "${flags[@]}"
    done
  done
}

# generator_goal_batches OUT NAME MODEL...: issue 11's goals on another generator's test300 (the
# twenty-eighth and fortieth rounds): the defaults with no flags (the kriging preset, RISE's mean
# in-fill, the pixel field) per classifier i, OUT/model<i>-NAME-defaults (RISE, Grad-CAM++ and
# their refinements) and OUT/model<i>-NAME-opticam (Opti-CAM and its refinement).
generator_goal_batches() {
  local dir=$1 name=$2 i=0 model_file
  shift 2
  for model_file in "$@"; do
    i=$((i + 1))
    preset=kriging rise_infill=mean gp_over=pixels model=$model_file \
      batch "$dir/model$i-$name-defaults" test300 rise,gradcam++,borex:rise,borex:gradcam++
    preset=kriging rise_infill=mean gp_over=pixels model=$model_file \
      batch "$dir/model$i-$name-opticam" test300 opticam,borex:opticam
  done
}

# generator_goal_tables OUT NAME SCENES MODEL...: the tables of generator_goal_batches' runs of
# the first two classifiers (model1, model2) under headings that name the SCENES: how often each
# MODEL's top class is the label (its label_probability CSV written into OUT), goals 1-3, goal 1's
# third prior and goal 5.
generator_goal_tables() {
  local dir=$1 name=$2 scenes=$3 model_file
  shift 3
  echo "### The classifiers on the $scenes test scenes: how often the label is the top class"
  for model_file in "$@"; do
    /usr/bin/python3 "$root/scripts/label_probability.py" --data "$data" --model "$model_file" \
      "$dir/model1-$name-defaults/rise.csv" > "$dir/label_probability-${model_file##*/}.csv"
    awk -F, -v model="${model_file##*/}" '
      NR == 1 { for (c = 1; c <= NF; c++) if ($c == "correct") k = c; next }
      { n++; top += $k }
      END { printf "%s: label top-1 in %d of %d scenes (%.3f)\n", model, top, n, top / n }
    ' "$dir/label_probability-${model_file##*/}.csv"
  done
  echo "### Goals 1-3 on the $scenes scenes: the defaults against the priors"
  quality "${two_priors[@]}" "$dir"/model{1,2}-"$name"-defaults
  echo "### Goal 1's third prior on the $scenes scenes: BOREx(Opti-CAM) against Opti-CAM"
  quality --pair borex:opticam=opticam "$dir"/model{1,2}-"$name"-opticam
  echo "### Goal 5 on the $scenes scenes: BOREx(RISE) against Grad-CAM++"
  quality --pair borex:rise=gradcam++ "$dir"/model{1,2}-"$name"-defaults
}

# against_code DIR CODE_DIR TITLE [SPLIT [FLAG...]]: goal 4 of issue 11, DIR's BOREx(RISE) and
# BOREx(Grad-CAM++) against the code's settings' (`--preset code`, batched into CODE_DIR on SPLIT,
# test500 unless given, with the batch flags FLAG, e.g. DIR's --substrate) image by image, under
# the heading TITLE (after the batch's own output).
against_code() {
  local dir=$1 code=$2 title=$3 split=${4:-test500} method
  shift $(($# < 4 ? $# : 4))
  preset=code batch "$code" "$split" rise,gradcam++,borex:rise,borex:gradcam++ --rise-infill mean \
    "$@"
  for method in rise gradcam++; do
    cp "$code/borex:$method.csv" "$dir/code-borex:$method.csv"
  done
  echo "### $title"
  quality "$dir" --pair borex:rise=code-borex:rise --pair borex:gradcam++=code-borex:gradcam++
}
