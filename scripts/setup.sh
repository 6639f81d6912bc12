#!/usr/bin/env bash
# Installs what nhbridge needs from Debian packages, only what is missing. Idempotent.
set -euo pipefail

packages=(cmake ninja-build g++ libtorch-dev nlohmann-json3-dev libcli11-dev libgtest-dev
          libgmock-dev libbenchmark-dev python3-torch libopenblas0-openmp)
# libopenblas0-openmp: libtorch calls the system BLAS (libblas.so.3); Debian switches that
# alternative to OpenBLAS, about 10x faster matrix products than the reference BLAS, on the same
# OpenMP runtime libtorch uses.
# g++ brings its own ASan/UBSan runtimes; only the libFuzzer build needs clang.
if [[ ${NHB_FUZZ:-0} == 1 ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present"
fi
