#!/usr/bin/env bash
# The backplane tool on the emulated CUDA stack (tests/cudnn/emulator): the
# paths a GPU machine takes, end to end as a user runs them.
#   doctor   exit 0, cudnn selected, its device is the emulated GPU
#   devices  the same in the short listing
#   train    --backend all: cudnn and openblas-cpu both complete the reference
#            CNN with no op on a fallback, and reach the same loss (float32)
# Usage: check_emulated_cli.sh <backplane binary> <emulated stack folder>
set -u
cli="$1"
stack="$2"
export BACKPLANE_CUDA_PATH="$stack" BACKPLANE_CUDNN_PATH="$stack" BACKPLANE_DEP_SEARCH=override_only
unset BACKPLANE_BACKEND BACKPLANE_DISABLE BACKPLANE_FAULT BACKPLANE_GPU_MEMORY_LIMIT
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$cli" doctor --json > "$work/doctor.json"
rc=$?
[ $rc -eq 0 ] || fail "doctor exit $rc (want 0: the preferred GPU backend is ready)"
/usr/bin/python3 - "$work/doctor.json" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
sel = d["selected"]
assert sel["backend"] == "cudnn", f"selected {sel!r}, want cudnn"
dev = sel["device"]
assert dev["kind"] == "gpu" and "SIMT emulator" in dev["name"], dev
assert dev["memory_total"] > 0 and 0 < dev["memory_free"] <= dev["memory_total"], dev
assert dev["driver_version"] >= 13000 and dev["runtime_version"] >= 13000, dev
assert dev["capability"] == "sm_90" and dev["compute_capability"] == "9.0", dev
cudnn = [p for p in d["plugins"] if p["name"] == "cudnn"][0]
assert cudnn["state"] == "ready", cudnn["state"]
print("doctor: cudnn ready and selected on", dev["name"])
PY

"$cli" devices > "$work/devices.txt"
rc=$?
[ $rc -eq 0 ] || fail "devices exit $rc"
grep -q "A host application would get: cudnn" "$work/devices.txt" || fail "devices does not select cudnn: $(cat "$work/devices.txt")"

"$cli" train --backend all --epochs 1 --json "$work/train.json" > "$work/train.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$work/train.txt"; fail "train exit $rc"; }
/usr/bin/python3 - "$work/train.json" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
runs = {r["backend"]: r for r in d["runs"]}
for name in ("cudnn", "openblas-cpu"):
    assert runs[name]["status"] == "completed", (name, runs[name]["status"], runs[name]["error"])
assert runs["cudnn"]["ops_on_fallback"] == 0, runs["cudnn"]["ops_on_fallback"]
a, b = runs["cudnn"]["final_loss"], runs["openblas-cpu"]["final_loss"]
assert abs(a - b) <= 1e-4 * abs(b), f"final loss cudnn {a} vs openblas-cpu {b}"
print(f"train: cudnn loss {a:.6f}, openblas-cpu {b:.6f}; cudnn ran {runs['cudnn']['ops_on_backend']} ops itself")
PY
echo "PASS: doctor, devices and train on the emulated CUDA stack"
echo "bp-test: ran=3 skipped=0"  # doctor, devices, train (scripts/check-test-counts.py)
