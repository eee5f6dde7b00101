# Sourced by the clip rounds of issue 11 (scripts/reproduce_refinement_round25.sh, _round26.sh):
# their batches and tables. The caller sets borex, model, data and out.

# clip_run SPLIT COUNT RUN METHODS FLAG...: the kriging batch $out/RUN-SPLITCOUNT of METHODS over
# the first COUNT clips of SPLIT with the FLAGs, two shards of one thread.
clip_run() {
  local split=$1 count=$2 run=$3 methods=$4 dir k pids=()
  local flags=("${@:5}")
  dir=$out/$run-$split$count
  head -n "$count" "$data/splits/$split.txt" > "$data/splits/$split$count.txt"
  [[ -f $dir/summary.json ]] && return
  mkdir -p "$dir"
  for k in 1 2; do
    "$borex" batch --model "$model" --video-root "$data" --split "$split$count" \
      --methods "$methods" --seed 0 --step 7168 --preset kriging --rise-infill mean "${flags[@]}" \
      --threads 1 --shard "$k/2" --out "$dir" > "$dir/shard-$k.log" 2>&1 &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k"; done
  "$borex" report "$dir" --json "$dir/summary.json" > /dev/null
}

# clip_tables CANDIDATE BASELINE SPLITCOUNT: the candidate run against the baseline run and both
# against the priors (the baseline's batch computed them; the priors are deterministic), clip by
# clip, both one-sided p.
clip_tables() {
  local candidate=$1 baseline=$2 set=$3 prior metric a b
  echo "### $set: $candidate against $baseline, and each against its prior (p better, p worse)"
  echo "| compared | metric | mean | mean other | p better | p worse |"
  echo "|---|---|---:|---:|---:|---:|"
  for prior in rise gradcam++; do
    for pair in "$candidate/borex:$prior $baseline/borex:$prior" \
      "$candidate/borex:$prior $baseline/$prior" "$baseline/borex:$prior $baseline/$prior"; do
      read -r a b <<< "$pair"
      for metric in insertion deletion f_measure; do
        /usr/bin/python3 - "$out/${a%%/*}-$set/${a#*/}.csv" "$out/${b%%/*}-$set/${b#*/}.csv" \
          "$metric" "$a vs $b" "$borex" <<'PY'
import json, subprocess, sys, tempfile
a, b, metric, name, borex = sys.argv[1:]
p = {}
for alternative in ("greater", "less"):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([borex, "compare", a, b, "--metric", metric, "--alternative", alternative,
                        "--json", f.name], capture_output=True, check=True)
        p[alternative] = json.load(open(f.name))
better, worse = ("less", "greater") if metric == "deletion" else ("greater", "less")
j = p[better]
print(f"| {name} | {metric} | {j['mean_a']:.4f} | {j['mean_b']:.4f} | {j['p_value']:.3g} | "
      f"{p[worse]['p_value']:.3g} |")
PY
      done
    done
  done
}
