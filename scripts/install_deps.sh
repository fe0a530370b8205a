#!/usr/bin/env bash
# Installs the Debian 12 packages FuseMedML++ builds and tests with, only those missing. Safe to run twice.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config binutils
  libboost1.81-dev libboost-json1.81-dev   # Boost.JSON (configs, manifests), Boost.DLL (plugin loading)
  libdlpack-dev                            # the tensor exchange format of the plugin ABI
  libcli11-dev                             # the fuse command line
  libspdlog-dev libfmt-dev                 # the host's log
  libssl-dev                               # SHA-256 of plugin libraries (OpenSSL libcrypto)
  libcsv-dev                               # streaming CSV parser for prediction tables
  libtbb-dev                               # parallel loops (bootstrap rounds)
  libopencv-dev                            # charts of the evaluation report, 2D image IO and ops (PNG/JPEG)
  libxxhash-dev                            # checksums of cache entries (xxh3: checked on every read, fast)
  libinsighttoolkit5-dev                   # medical image IO with geometry (NIfTI, NRRD, MHA, DICOM)
  zlib1g-dev                               # gzip files (MNIST IDX)
  libhdf5-dev                              # HDF5 datasets (the io_hdf5 plugin)
  libtorch-dev                             # models and losses (plugins) and the trainer's optimisers (core/train)
  libopenblas0-openmp                      # an optimised BLAS for LibTorch's matrix products (else the reference BLAS: 10-30x slower)
  libgloo-dev                              # headers of c10d's Gloo process group (multi-process training; the library ships with LibTorch)
  libgtest-dev libgmock-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
