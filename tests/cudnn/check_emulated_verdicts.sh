#!/usr/bin/env bash
# The verdict names the failure that decided it (issue #17, item 3): on the
# emulated CUDA stack, which lacks the OPTIONAL libcudart.so.13 and optional
# cuDNN sub-libraries, every init- or device-stage failure and every bad GPU
# setting must be what `doctor` and `devices` report; the missing optional
# libraries stay notes in the dependency list, never the reason.
# Usage: check_emulated_verdicts.sh <backplane binary> <emulated stack folder>
set -u
cli="$1"
stack="$2"
export BACKPLANE_CUDA_PATH="$stack" BACKPLANE_CUDNN_PATH="$stack" BACKPLANE_DEP_SEARCH=override_only
unset BACKPLANE_BACKEND BACKPLANE_DISABLE BACKPLANE_FAULT BACKPLANE_GPU_MEMORY_LIMIT BACKPLANE_GPU_MEMORY_CACHING
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

[ -e "$stack/libcudart.so.13" ] && { echo "FAIL: the emulated stack has libcudart.so.13: this check needs it absent"; exit 1; }

# scenario: <label> <text the verdict must carry> <environment assignments...>
scenario() {
  local label="$1" want="$2"
  shift 2
  env "$@" "$cli" doctor > "$work/doctor.txt" 2>&1
  env "$@" "$cli" devices > "$work/devices.txt" 2>&1
  local verdict why
  verdict=$(grep '^Verdict:' "$work/doctor.txt")
  why=$(grep -m1 '^    why ' "$work/doctor.txt")
  for text in "$verdict" "$why" "$(cat "$work/devices.txt")"; do
    case "$text" in
      *"CUDA runtime"* | *libcudart* | *"sub-library"*) fail "$label: an optional library stands in for the failure: $text" ;;
    esac
  done
  case "$verdict" in *"$want"*) ;; *) fail "$label: verdict lacks '$want': $verdict" ;; esac
  case "$why" in *"$want"*) ;; *) fail "$label: doctor's why lacks '$want': $why" ;; esac
  grep -qF -- "$want" "$work/devices.txt" || fail "$label: devices lacks '$want': $(cat "$work/devices.txt")"
  # The optional library is still listed, as a note.
  grep -q 'warn CUDA runtime libcudart.so.13  optional' "$work/doctor.txt" ||
    fail "$label: doctor no longer lists the missing optional libcudart.so.13"
  echo "ok: $label -> $verdict"
  checks=$((checks + 1))
}

# config_error: <label> <text the error must carry> <environment assignments...>
# A malformed setting is a configuration error (exit 1, the setting named), never a CPU fallback.
config_error() {
  local label="$1" want="$2" status
  shift 2
  for command in doctor devices; do
    env "$@" "$cli" $command > "$work/$command.txt" 2>&1
    status=$?
    [ $status -eq 1 ] || fail "$label: $command exit $status, want 1 (configuration error): $(cat "$work/$command.txt")"
    grep -qF -- "configuration error" "$work/$command.txt" || fail "$label: $command does not say configuration error"
    grep -qF -- "$want" "$work/$command.txt" || fail "$label: $command lacks '$want': $(cat "$work/$command.txt")"
    for text in "CUDA runtime" libcudart "sub-library"; do
      grep -qF -- "$text" "$work/$command.txt" && fail "$label: $command names an optional library: $(cat "$work/$command.txt")"
    done
  done
  echo "ok: $label -> $(head -1 "$work/doctor.txt")"
  checks=$((checks + 1))
}
checks=0

scenario oom_at_init "CUDA_ERROR_OUT_OF_MEMORY" BACKPLANE_FAULT=cudnn:oom_at_init
scenario init_fail "cuDevicePrimaryCtxRetain" BACKPLANE_FAULT=cudnn:init_fail
scenario no_device "sees no usable GPU" BACKPLANE_FAULT=cudnn:no_device
scenario memory_cap "BACKPLANE_GPU_MEMORY_LIMIT=512" BACKPLANE_GPU_MEMORY_LIMIT=512
config_error memory_limit "BACKPLANE_GPU_MEMORY_LIMIT='abc'" BACKPLANE_GPU_MEMORY_LIMIT=abc
config_error memory_caching "BACKPLANE_GPU_MEMORY_CACHING='maybe'" BACKPLANE_GPU_MEMORY_CACHING=maybe

[ $failures -eq 0 ] || exit 1
echo "PASS: every verdict names the real failure"
echo "bp-test: ran=$checks skipped=0"  # read by scripts/check-test-counts.py
