#!/usr/bin/env bash
# Installs what the "slow" tests need (slurm-wlm, munge, GNU parallel) on top of borex's own
# dependencies: scripts/install_deps.sh --slow.
exec "$(dirname "$0")/install_deps.sh" --slow
