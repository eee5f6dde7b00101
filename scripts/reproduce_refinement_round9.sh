#!/usr/bin/env bash
# Issue 11's ninth round (docs/algorithm.md "Ninth round", docs/results.md "refinement9"): the
# candidates of scripts/refinement_configs_round9.txt on the validation split, then the one the
# rule chose once on the test split; prints the tables of docs/results.md's "refinement9"
# section.
#
#   scripts/reproduce_refinement_round9.sh     # about 1.5 hours on 2 idle cores
set -euo pipefail
ROUND=9 CANDIDATE=${CANDIDATE:-set-segments300-posterior-sets} exec "$(dirname "$0")/reproduce_refinement_round.sh"
