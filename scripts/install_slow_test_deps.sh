#!/usr/bin/env bash
# Installs the Debian 12 packages the "slow" tests need on top of scripts/install_deps.sh:
# slurm-wlm (slurmctld, slurmd and the client commands) and munge for
# tests/scripts/slurm_batch_test.sh, GNU parallel for tests/scripts/parallel_batch_test.sh and
# scripts/batch_parallel.sh. Packages already present are skipped (so a prepared machine does not
# need apt or root). Run as root or with sudo available.
#
# Installing slurm-wlm/munge only installs them: Debian's postinst may start munge and the slurm
# services under systemd where there is one, but the test starts its own private daemons with a
# generated slurm.conf and does not rely on (or touch) the system's.
set -euo pipefail

packages=(slurm-wlm munge parallel)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install_slow_test_deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || {
    echo "install_slow_test_deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
