#!/usr/bin/env bash
# Installs the Debian 12 packages borex needs to build, test and retrain its models, skipping
# those already present (so a prepared machine does not need apt or root). Run as root or with
# sudo available. With --slow, also what the "slow" tests need: slurm-wlm and munge
# (tests/scripts/slurm_batch_test.sh starts its own private daemons and does not touch the
# system's) and GNU parallel (scripts/batch_parallel.sh). With --ci, also what .ci/run's checks
# need: clang (sanitizers, libFuzzer) and its OpenMP (libomp-dev: the GP's loops), clang-format
# and clang-tidy. With --browser, chromium (the "browser" test renders `borex report --html`
# headless; scripts/test.sh asks for it, the quick start does not).
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  libtorch-dev libopencv-dev libeigen3-dev libcli11-dev libspdlog-dev nlohmann-json3-dev
  libxtensor-dev libpugixml-dev libcsv-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-torchvision python3-numpy python3-scipy python3-pil
  dataset-fashion-mnist
  pybind11-dev python3-dev
)

for option in "$@"; do
  case $option in
    --slow) packages+=(slurm-wlm munge parallel) ;;
    --ci) packages+=(clang libomp-dev clang-format clang-tidy) ;;
    --browser) packages+=(chromium) ;;
    *) echo "install_deps: unknown option $option (--slow, --ci, --browser)" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install_deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install_deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
