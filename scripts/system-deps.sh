#!/usr/bin/env bash
# Installs the Debian packages that the notebooks, browser tests and cross-checks use, when any is missing.
#   python3-numpy/scipy/h5py   independent NumPy/SciPy cross-checks and the HDF5 fixtures
#   python3-torch, python3-sklearn   the Python recorder's tests (PyTorch training on sklearn's bundled digits)
#   python3-hdf5plugin, zstd   LZ4/Blosc-compressed HDF5 fixtures and zstd frames for the zstd-filter fixture
#   jupyter-notebook, nbconvert, nbclient, ipykernel   executing notebooks with the tslab kernel
#   chromium, fonts            headless browser tests and PNG/SVG/PDF export of figures
#   dataset-fashion-mnist      the full Fashion-MNIST (the zoo trainer; the shipped zoo does not need it)
#   slurm-wlm, munge           a single-node Slurm on localhost for the job-array test (test/cli/slurm.test.ts)
# Usage: bash scripts/system-deps.sh [--check]   (--check only reports what is missing)
set -euo pipefail
pkgs=(python3 python3-numpy python3-scipy python3-h5py python3-hdf5plugin python3-torch python3-sklearn zstd jupyter-notebook jupyter-nbconvert python3-nbclient
      python3-ipykernel chromium fonts-dejavu-core dataset-fashion-mnist slurm-wlm munge)
# INPCA_EXTRA_DEBIAN_PACKAGES (space-separated) adds names to the list (the setup test uses it)
read -r -a extra <<< "${INPCA_EXTRA_DEBIAN_PACKAGES:-}"
pkgs+=("${extra[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "${1:-}" = "--check" ]; then echo "missing Debian packages: ${missing[*]}"; exit 1; fi
how="apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "inpca: these Debian packages are missing and apt-get is not available: ${missing[*]}" >&2
  echo "inpca: install their equivalents with your system's package manager, then run this again" >&2; exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"
  else
    echo "inpca: these Debian packages are missing: ${missing[*]}" >&2
    echo "inpca: install them as root, then run this again:" >&2
    echo "  sudo apt-get update && sudo $how" >&2
    exit 1
  fi
fi
echo "inpca: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
{ $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1 \
  || { tail -40 "$log"; echo "inpca: apt-get failed (log above)" >&2; exit 1; }
rm -f "$log"
