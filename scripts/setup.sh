#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: installs the Debian packages metaunsup builds and
# runs with, then selects the OpenMP OpenBLAS build (build-notes.md 2.1: installed is not selected).
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config
      libtorch-dev libopenblas0-openmp
      libgtest-dev libgmock-dev libbenchmark-dev
      libcli11-dev nlohmann-json3-dev libfmt-dev
      libopenmpi-dev openmpi-bin
      libfreetype-dev libpng-dev zlib1g-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Select the OpenMP OpenBLAS for both BLAS and LAPACK (the pthread build ignores torch's thread count).
for lib in libblas.so.3 liblapack.so.3; do
  alt="/usr/lib/x86_64-linux-gnu/openblas-openmp/$lib"
  cur=$(readlink -f "/etc/alternatives/${lib}-x86_64-linux-gnu" 2>/dev/null || true)
  if [ -e "$alt" ] && [ "$cur" != "$alt" ]; then
    $SUDO update-alternatives --set "${lib}-x86_64-linux-gnu" "$alt" >/dev/null
    echo "setup: selected $alt" >&2
  fi
done
