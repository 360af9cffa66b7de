#!/usr/bin/env bash
# Installs the Debian 12 packages Backplane needs to build, test and run its
# main job. Idempotent: installs only what is missing. Run as root or with sudo.
# The CUDA Toolkit + cuDNN are NOT Debian packages here: when they are present
# (/usr/local/cuda), the cudnn plugin is built; otherwise it is skipped with a message.
set -euo pipefail

packages=(
  build-essential cmake pkg-config g++ clang libc++-14-dev libc++abi-14-dev libclang-rt-14-dev
  libboost-dev doctest-dev libopenblas-dev libcli11-dev nlohmann-json3-dev libfmt-dev
  libdlpack-dev zlib1g-dev libbenchmark-dev abigail-tools valgrind
  dataset-fashion-mnist python3 python3-torch python3-venv
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
