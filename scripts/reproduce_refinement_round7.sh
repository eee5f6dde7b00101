#!/usr/bin/env bash
# Issue 11, seventh round: the GP over a pixel field (--gp-over pixels), with the prior's level
# sets as masks (scripts/refinement_configs_round7.txt; the "defaults" line, the squares' GP, is
# pinned to --gp-over masks by scene_benchmark.sh). Validation, then the chosen configuration once
# on the test split and the second classifier (scripts/reproduce_refinement_round.sh); prints the
# tables of docs/results.md's "refinement7" section.
#
#   scripts/reproduce_refinement_round7.sh     # about 1.5 hours on 2 idle cores
set -euo pipefail
ROUND=7 CANDIDATE=${CANDIDATE:-pixels-level-sets-noise03} \
  exec "$(dirname "$0")/reproduce_refinement_round.sh"
