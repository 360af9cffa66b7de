#!/usr/bin/env bash
# Conformance of the cudnn plugin where it can run: a built plugin and a GPU
# (NVIDIA driver with at least one device). Otherwise a visible skip (77).
set -u
cli="$1"
plugin="$2"
if [[ -z "$plugin" ]]; then
  echo "SKIP: the cudnn plugin is not part of this build (BACKPLANE_WITH_CUDNN=OFF or CUDA/cuDNN not found)"
  exit 77
fi
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "SKIP: no NVIDIA GPU/driver on this machine (nvidia-smi -L lists no GPU); cudnn conformance needs one"
  exit 77
fi
exec "$cli" conformance "$plugin"
