#!/usr/bin/env bash
# Issue 11, eighth round: the pixel field's acquisition (kappa, the posterior mean's level sets,
# smaller squares; scripts/refinement_configs_round8.txt, whose "defaults" line is the seventh
# round's choice). Validation, then the chosen configuration once on the test split and the second
# classifier (scripts/reproduce_refinement_round.sh); prints the tables of docs/results.md's
# "refinement8" section.
#
#   scripts/reproduce_refinement_round8.sh     # about 1.5 hours on 2 idle cores
set -euo pipefail
ROUND=8 CANDIDATE=${CANDIDATE:-kappa5} exec "$(dirname "$0")/reproduce_refinement_round.sh"
