#!/usr/bin/env bash
# Mutation check of the tests (docs/reliability.md, "Mutation audit"): applies each mutant of a
# list to the source tree in turn, rebuilds build/, runs the tests of the given ctest labels
# (default: unit) and restores the file. Every mutant should be killed (some test fails).
#   scripts/mutants.sh             # the formulas' mutants, scripts/mutants.txt (1-2 minutes each)
#   scripts/mutants.sh M8 RF15     # the mutants with these IDs
#   scripts/mutants.sh --list scripts/mutants_io.txt --labels 'unit|model' [IDS]
#                                  # the readers', datasets' and app layer's mutants; the app's
#                                  # tests are in the "model" label (up to 4 minutes each)
#   scripts/mutants.sh --list scripts/mutants_explain.txt --labels 'unit|model' [IDS]
#                                  # the explanation methods', the model's scores and input, the
#                                  # video reader's and the HTML report's mutants
#   scripts/mutants.sh --list scripts/mutants_options.txt   # the refiner's options' mutants
#   scripts/mutants.sh --list scripts/mutants_refiner.txt   # the refiner's loop and the pixel
#                                  # field's assembly
#   scripts/mutants.sh --list scripts/mutants_cli.txt --labels 'cli|python' [IDS]
#                                  # the command line's flags and the Python module's mutants
# Prints one line per mutant, KILLED, SURVIVED or BUILDFAIL, and exits 1 if any survived. It edits
# the source files while it runs: do not build or edit in the same tree meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
list=scripts/mutants.txt
labels=unit
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --list) list=${2:?mutants: --list needs a file}; shift 2 ;;
    --labels) labels=${2:?mutants: --labels needs a ctest label regex}; shift 2 ;;
    *) echo "mutants: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -f $list ]] || { echo "mutants: $list: no such list" >&2; exit 2; }
[[ -d build ]] || { echo "mutants: build/ is missing: run scripts/build.sh first" >&2; exit 2; }
if ! git diff --quiet -- src include; then
  echo "mutants: src/ or include/ has uncommitted changes; commit or stash them first" >&2
  exit 2
fi
wanted=" $* "
survived=0
backup=$(mktemp)
trap 'rm -f "$backup"' EXIT
while IFS= read -r entry; do
  [[ -z $entry || $entry == \#* ]] && continue
  id=${entry%% ||| *}
  [[ $# -eq 0 || $wanted == *" $id "* ]] || continue
  rest=${entry#* ||| }
  file=${rest%% ||| *}
  cp "$file" "$backup"
  if ! /usr/bin/python3 - "$entry" <<'PY'; then
import sys
_, path, line, mutated = sys.argv[1].split(" ||| ")
text = open(path).read()
if text.count(line) != 1:
    sys.exit(f"mutants: the line of {sys.argv[1].split(' ||| ')[0]} occurs {text.count(line)} "
             f"times in {path}: update scripts/mutants.txt")
open(path, "w").write(text.replace(line, mutated))
PY
    exit 2
  fi
  if ! cmake --build build -j "$(nproc)" > /dev/null 2>&1; then
    result=BUILDFAIL
  elif (cd build && ctest -L "$labels" --stop-on-failure > /dev/null 2>&1); then
    result=SURVIVED
    survived=$((survived + 1))
  else
    result=KILLED
  fi
  cp "$backup" "$file"
  echo "$result $id $file"
done < "$list"
cmake --build build -j "$(nproc)" > /dev/null  # back to the unmutated tree
((survived == 0))
