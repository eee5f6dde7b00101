#!/usr/bin/env bash
# Issue 13: `borex report OUT --html` at 100, 1,000 and 5,000 images (two methods, maps and
# curves): how long the report takes to write (its PNGs) and how long the page takes to open in
# headless Chromium. The batches are faked from one real one (scripts/fake_large_batch.py): the 6
# scenes of tests/data/voc_tiny (128 x 128) under rise and borex:rise, curves saved with
# --step 256 (65 points, drawn as 60 segments as on a real dataset's images).
#
#   scripts/bench_html_report.sh                 # 100 1000 5000 images, median of 3
#   SIZES="100 500" REPEATS=5 PAGE_SIZES= scripts/bench_html_report.sh
#
# Columns: write (s): `borex report DIR --html --limit 0`; page (MB): report.html; open (s):
# `chromium --headless --screenshot` of the page, browser start included (the "blank" row is an
# empty page: the start alone); script (ms): performance.now() at the end of the page's script,
# from the navigation's start (the rows are built by then; a copy of the page with one more
# script, read with --dump-dom). Medians of REPEATS runs, after one unmeasured run of Chromium.
# Rows with --page-size: the largest batch again, with other numbers of rows a page.
#
# Environment: BOREX (build/borex), CHROMIUM (chromium), OUT (a new temporary directory, removed
# at the end), SIZES (100 1000 5000), REPEATS (3), PAGE_SIZES (10 25 50).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
borex=${BOREX:-$root/build/borex}
chromium=${CHROMIUM:-chromium}
sizes=${SIZES:-100 1000 5000}
repeats=${REPEATS:-3}
page_sizes=${PAGE_SIZES:-10 25 50}
[[ -x $borex ]] || { echo "bench: $borex not found: run scripts/build.sh" >&2; exit 1; }
command -v "$chromium" >/dev/null || { echo "bench: no $chromium (scripts/install_deps.sh --ci)" >&2; exit 1; }
if [[ -n ${OUT:-} ]]; then
  out=$OUT
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
median() { sort -g | awk 'NF { v[++n] = $1 } END { print v[int((n + 1) / 2)] }'; }
browse() {  # FLAGS... FILE
  local file=${*: -1}
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$out/profile" \
    "${@:1:$#-1}" "file://$file" 2>/dev/null
}
open_seconds() {  # FILE
  local start
  start=$(now)
  browse --screenshot="$out/shot.png" --window-size=1200,900 "$1" >/dev/null
  seconds_since "$start"
}
script_ms() {  # FILE: the page with a script after its own that puts performance.now() in the title
  sed 's#</body>#<script>document.title = "t=" + performance.now().toFixed(0)</script></body>#' \
    "$1" > "${1%.html}.timed.html"
  browse --dump-dom "${1%.html}.timed.html" | grep -o '<title>t=[0-9]*' | head -n 1 | cut -d= -f2
}
repeat() {  # COMMAND...: its output's median over REPEATS runs
  for _ in $(seq "$repeats"); do "$@"; echo; done | median
}

echo "borex report --html, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$chromium" --version 2>/dev/null)"
"$borex" batch --model "$root/models/fashion_scenes_resnet.pt" --voc-root "$root/tests/data/voc_tiny" \
  --split test --methods rise,borex:rise --masks 16 --iterations 8 --step 256 --threads 1 \
  --no-progress --save-curves --out "$out/source" > "$out/source.log" 2>&1
echo '<!DOCTYPE html><html><head><title>blank</title></head><body>blank</body></html>' > "$out/blank.html"
open_seconds "$out/blank.html" > /dev/null  # the profile's first start
printf '| images | write (s) | page (MB) | open (s) | script (ms) |\n|---:|---:|---:|---:|---:|\n'
printf '| blank | | | %s | %s |\n' "$(repeat open_seconds "$out/blank.html")" \
  "$(repeat script_ms "$out/blank.html")"
row() {  # IMAGES [REPORT FLAGS...]: one row of the table, the batch faked under $out/n
  local n=$1 page=$out/n/batch/report.html
  shift
  write() {
    local start
    start=$(now)
    "$borex" report "$out/n/batch" --html --limit 0 "$@" > /dev/null
    seconds_since "$start"
  }
  printf '| %s | %s | %s | %s | %s |\n' "$n${*:+ $*}" "$(repeat write "$@")" \
    "$(awk -v b="$(stat -c %s "$page")" 'BEGIN { printf "%.1f", b / 1e6 }')" \
    "$(repeat open_seconds "$page")" "$(repeat script_ms "$page")"
}
for n in $sizes; do
  rm -rf "$out/n"
  /usr/bin/python3 "$root/scripts/fake_large_batch.py" "$out/source" "$out/n" --images "$n"
  row "$n"
done
for page_size in $page_sizes; do  # the largest batch, other pages
  row "$n" --page-size "$page_size"
done
echo "load average at the end $(cut -d" " -f1-3 /proc/loadavg)"
