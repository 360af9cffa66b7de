#!/usr/bin/env bash
# Issue #12: `backplane doctor --fix` on the emulated CUDA stack. cuDNN lives
# only in a virtual environment's wheel folder (nvidia/cudnn/lib, as pip puts
# it) that BACKPLANE_DEP_SEARCH=override_only keeps out of the search: doctor
# falls back and --fix prints the one line that fixes it (never runs it);
# running those lines in a shell makes the GPU backend serve.
# Usage: check_doctor_fix.sh <backplane> <emulated stack folder>
set -u
cli="$1" stack="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ran=0

venv="$work/venv" lib="$work/venv/lib/python3.12/site-packages/nvidia/cudnn/lib"
mkdir -p "$venv/bin" "$lib" "$work/empty"
printf 'home = /usr/bin\n' > "$venv/pyvenv.cfg"
printf '#!/bin/sh\nexit 1\n' > "$venv/bin/python3" && chmod +x "$venv/bin/python3"
cp "$stack"/libcudnn*.so.9 "$lib/"
unset BACKPLANE_BACKEND BACKPLANE_DISABLE BACKPLANE_FAULT BACKPLANE_GPU_MEMORY_LIMIT CONDA_PREFIX BACKPLANE_SECURE_MODE
export VIRTUAL_ENV="$venv" BACKPLANE_CUDA_PATH="$stack" BACKPLANE_CUDNN_PATH="$work/empty" BACKPLANE_DEP_SEARCH=override_only

"$cli" doctor --fix > "$work/fix.txt"
rc=$?
cat "$work/fix.txt"
[ $rc -eq 2 ] || fail "doctor --fix exit $rc (want 2: fell back to the CPU)"; ran=$((ran + 1))
grep -qxF "# cudnn: cuDNN libcudnn.so.9 (not_found)" "$work/fix.txt" || fail "no comment naming the failing cuDNN"
ran=$((ran + 1))
grep -qxF "export BACKPLANE_CUDNN_PATH=$lib:$work/empty" "$work/fix.txt" || fail "no BACKPLANE_CUDNN_PATH line for $lib"
ran=$((ran + 1))
[ "$(grep -vc '^#' "$work/fix.txt")" -eq 1 ] || fail "want exactly one command (one failing dependency)"
ran=$((ran + 1))
# The doctor text shows the same diagnosis.
"$cli" doctor > "$work/doctor.txt"
grep -qF "found in $lib (a Python wheel folder) but not on the search path" "$work/doctor.txt" ||
  { cat "$work/doctor.txt"; fail "doctor does not name the wheel copy"; }
ran=$((ran + 1))

# Printed, never run: nothing changed until the user runs the lines.
eval "$(cat "$work/fix.txt")"
"$cli" doctor --json > "$work/after.json"
rc=$?
[ $rc -eq 0 ] || fail "after the fix lines doctor exits $rc (want 0: cudnn ready)"
ran=$((ran + 1))
/usr/bin/python3 - "$work/after.json" "$lib" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
assert d["selected"]["backend"] == "cudnn", d["selected"]
cudnn = [p for p in d["plugins"] if p["name"] == "cudnn"][0]
dep = [x for x in cudnn["dependencies"] if x["soname"] == "libcudnn.so.9"][0]
assert dep["cause"] == "none" and dep["loaded_path"].startswith(sys.argv[2]), dep
print("after the fix: cudnn ready, cuDNN from", dep["loaded_path"])
PY
ran=$((ran + 1))
"$cli" doctor --fix | grep -qxF "# nothing to fix: every plugin found is ready" || fail "--fix on a ready machine"
ran=$((ran + 1))
# The core accepts every BACKPLANE_DEP_SEARCH word the plugins know (one parser), and refuses a typo.
BACKPLANE_DEP_SEARCH=no_python,no_conda "$cli" doctor > /dev/null || fail "BACKPLANE_DEP_SEARCH=no_python,no_conda refused"
ran=$((ran + 1))
out=$(BACKPLANE_DEP_SEARCH=no_pyhton "$cli" doctor 2>&1) && fail "a misspelled BACKPLANE_DEP_SEARCH word was accepted"
grep -qF "'no_pyhton' is not one of override_only, no_python, no_conda, no_environments" <<<"$out" || fail "$out"
ran=$((ran + 1))
echo "bp-test: ran=$ran skipped=0"
