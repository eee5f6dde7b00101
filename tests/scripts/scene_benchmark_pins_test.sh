#!/usr/bin/env bash
# scripts/scene_benchmark.sh's pins of the defaults adopted after a round (issue 11): the flags a
# round's kriging batch gets ahead of its own, by round and GP domain; none for another preset, a
# prototype's borex or a script that names no round; and an option the batch names itself left
# to it (CLI11 refuses a repeated option).
set -euo pipefail
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v parallel >/dev/null || { echo "SKIP: needs GNU parallel" >&2; exit 77; }
mkdir -p "$work/data/ImageSets/Main"
touch "$work/data/ImageSets/Main/test.txt"
# shellcheck disable=SC2034  # read by scene_benchmark.sh
root=$source_dir
BOREX=/bin/true DATA=$work/data
export BOREX DATA
# shellcheck source=/dev/null
source "$source_dir/scripts/scene_benchmark.sh"

failures=0
expect() {  # expect WANTED ROUND PRESET [batch flags...]
  local wanted=$1 got
  measured_round=$2 preset=$3
  shift 3
  got=$(batch_pins "$@")
  if [[ $got != "$wanted" ]]; then
    echo "round $measured_round, preset $preset, flags '$*': got '$got', wanted '$wanted'" >&2
    failures=$((failures + 1))
  fi
}
field=(--gp-over pixels)
after21="--no-average-hyperparameters --no-fit-prior-coefficient-sd"
expect "$after21" 21 kriging "${field[@]}"
expect "$after21" 17 kriging "${field[@]}"
expect "$after21" 14 kriging "${field[@]}"
expect "--rise-observations off --rise-observation-limit 0 $after21" 13 kriging "${field[@]}"
expect "--level-set-segments 0 --posterior-level-sets none --rise-observations off \
--rise-observation-limit 0 $after21" 9 kriging "${field[@]}"
# The seventh round's own configurations name σn² and the prior's sets: their pins are left out.
expect "--level-set-segments 0 --posterior-level-sets none --rise-observations off \
--rise-observation-limit 0 $after21" 7 kriging "${field[@]}" --noise 0.3 --prior-level-sets 0.1
expect "--noise 0.01 --prior-level-sets none --level-set-segments 0 --posterior-level-sets none \
--rise-observations off --rise-observation-limit 0 $after21" 7 kriging --gp-over auto
# The squares' GP (scene_benchmark.sh's default domain, or named): the field's pins would be refused.
expect "--bo-infill black" 2 kriging
expect "" 6 kriging --gp-over masks
expect "" 22 kriging "${field[@]}"
expect "" 13 paper "${field[@]}"
measured_round=13 preset=kriging
# shellcheck disable=SC2034,SC2154  # borex is read by batch_pins; this_borex is set by the source
borex=/other/borex got=$(batch_pins "${field[@]}") borex=$this_borex
[[ -z $got ]] || { echo "a prototype's borex got pins: '$got'" >&2; failures=$((failures + 1)); }
unset measured_round
preset=kriging got=$(batch_pins "${field[@]}")
[[ -z $got ]] || { echo "no round, yet pins: '$got'" >&2; failures=$((failures + 1)); }
((failures == 0)) || exit 1
echo "scene_benchmark pins: all cases as expected"
