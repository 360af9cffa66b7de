#!/usr/bin/env bash
# Issue #12, with the real libraries: installs NVIDIA's nvidia-cudnn-cu13 and
# nvidia-cublas wheels from PyPI into a virtual environment (kept in the build
# folder, so a second run downloads nothing), activates it the way a user
# does (VIRTUAL_ENV, its bin/ first on PATH) and runs the cudnn plugin's probe:
# cuDNN and cuBLAS must be found in the venv's nvidia/*/lib wheel folders
# (recorded with their origin), versioned (read from the loaded library) and
# loaded (dlopen with every sub-library, the version rule and the required
# symbols) — no GPU is needed for that. Skips (exit 77) only when pip cannot
# reach the package index; any other failure fails.
# Usage: check_real_wheels.sh <cudnn_probe_dump> <venv folder>
set -u
dump="$1" venv="$2"
ran=0
fail() { echo "FAIL: $*"; exit 1; }
check() { ran=$((ran + 1)); if ! grep -qF -- "$2" <<<"$1"; then echo "$1"; fail "expected '$2'"; fi; }

python=$(command -v python3) || { echo "SKIP: no python3 to make a virtual environment"; exit 77; }
if [ ! -x "$venv/bin/python3" ]; then
  "$python" -m venv "$venv" || fail "python3 -m venv $venv failed (Debian: apt-get install python3-venv, listed in scripts/install-deps.sh)"
fi
pip=("$venv/bin/python3" -m pip --disable-pip-version-check --no-input)
if ! "${pip[@]}" show nvidia-cudnn-cu13 nvidia-cublas >/dev/null 2>&1; then
  # Reachability first, so an offline machine skips and a broken install fails.
  if ! out=$(timeout 120 "${pip[@]}" download --no-deps -d "$venv/probe-dl" pip 2>&1); then
    echo "$out" | tail -5
    echo "SKIP: pip cannot download from the package index (offline?); the real-wheel check needs PyPI"
    exit 77
  fi
  timeout 1500 "${pip[@]}" install nvidia-cudnn-cu13 nvidia-cublas || fail "pip install nvidia-cudnn-cu13 nvidia-cublas failed"
fi
"${pip[@]}" show nvidia-cudnn-cu13 nvidia-cublas | grep -E '^(Name|Version):'
site=$(echo "$venv"/lib/python3*/site-packages)
cudnn_lib="$site/nvidia/cudnn/lib" cublas_lib="$site/nvidia/cu13/lib"
[ -f "$cudnn_lib/libcudnn.so.9" ] || fail "the wheel did not install $cudnn_lib/libcudnn.so.9"
[ -f "$cublas_lib/libcublas.so.13" ] || fail "the wheel did not install $cublas_lib/libcublas.so.13"

# Activated as `source bin/activate` does; nothing else points at the wheels.
out=$(env -u CONDA_PREFIX VIRTUAL_ENV="$venv" PATH="$venv/bin:/usr/bin:/bin" BACKPLANE_CUDA_PATH= BACKPLANE_CUDNN_PATH= \
      BACKPLANE_DEP_SEARCH= BACKPLANE_SECURE_MODE= "$dump" 2>&1)
echo "$out"
cudnn_version=$("${pip[@]}" show nvidia-cudnn-cu13 | sed -n 's/^Version: \([0-9]*\.[0-9]*\.[0-9]*\).*/\1/p')
cublas_version=$("${pip[@]}" show nvidia-cublas | sed -n 's/^Version: \([0-9]*\.[0-9]*\).*/\1/p')
check "$out" "dependency cuDNN (libcudnn.so.9): ok"
check "$out" "found '$cudnn_version'"
check "$out" "loaded: $(realpath "$cudnn_lib")/libcudnn.so.9"
check "$out" "searched [env] $cudnn_lib: loaded [python: VIRTUAL_ENV $venv]"
check "$out" "dependency cuBLAS (libcublas.so.13): ok"
check "$out" "found '$cublas_version."
check "$out" "loaded: $(realpath "$cublas_lib")/libcublas.so.13"
check "$out" "searched [env] $cublas_lib: loaded [python: VIRTUAL_ENV $venv]"
check "$out" "libcudnn_engines_precompiled.so.9): ok"
# The same environment reached through its python3 on PATH alone (VIRTUAL_ENV unset).
out=$(env -u CONDA_PREFIX -u VIRTUAL_ENV PATH="$venv/bin:/usr/bin:/bin" BACKPLANE_CUDA_PATH= BACKPLANE_CUDNN_PATH= \
      BACKPLANE_DEP_SEARCH= BACKPLANE_SECURE_MODE= "$dump" 2>&1)
check "$out" "searched [env] $cudnn_lib: loaded [python: python3 on PATH ($venv/bin/python3) $venv]"
echo "bp-test: ran=$ran skipped=0"
