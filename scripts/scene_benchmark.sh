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

# batch OUT_DIR SPLIT METHODS [extra flags...]: `borex batch` on the bundled model, sharded over
# $jobs processes and merged (scripts/batch_parallel.sh).
batch() {
  local dir=$1 split=$2 methods=$3
  shift 3
  local infill=(--rise-infill "$rise_infill") domain=(--gp-over "$gp_over") flag
  for flag in "$@"; do
    [[ $flag == --rise-infill ]] && infill=()
    [[ $flag == --gp-over ]] && domain=()
  done
  "$root/scripts/batch_parallel.sh" -j "$jobs" --borex "$borex" -- \
    --model "$model" --voc-root "$data" --seed "$seed" --step "$step" --preset "$preset" \
    --split "$split" --methods "$methods" --out "$dir" "${infill[@]}" "${domain[@]}" "$@"
}

# quality ARGS...: scripts/refine_quality.py on this dataset (refined maps against their priors,
# --pair, --summary).
quality() { /usr/bin/python3 "$root/scripts/refine_quality.py" --data "$data" "$@"; }

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
