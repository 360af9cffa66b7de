#!/usr/bin/env bash
# Runs the commands of docs/plugin-authoring.md exactly as written: every
# ```bash block between the "walkthrough:begin" and "walkthrough:end" markers,
# in order, in an empty folder, with the two variables the doc tells the
# reader to set (BACKPLANE_SOURCE, BACKPLANE_BUILD). Then checks what the doc
# says the reader will see.
set -euo pipefail
doc="$1"
export BACKPLANE_SOURCE="$2"
export BACKPLANE_BUILD="$3"
work="$4"

script="$(awk '
  /<!-- walkthrough:begin -->/ { on = 1; next }
  /<!-- walkthrough:end -->/   { on = 0; next }
  on && /^```bash$/            { block = 1; next }
  block && /^```$/             { block = 0; next }
  on && block                  { print }
' "$doc")"
if [[ -z "$script" ]]; then
  echo "no walkthrough commands found in $doc"
  exit 1
fi

rm -rf "$work"
mkdir -p "$work"
cd "$work"
echo "---- commands from $(basename "$doc") ----"
echo "$script"
echo "----"
bash -euxo pipefail -c "$script" 2>&1 | tee walkthrough.log

# What the doc promises.
grep -Eq '^  template +ready .*<- selected' walkthrough.log ||
  { echo "expected 'backplane devices' to show the template plugin ready and selected"; exit 1; }
grep -q '^PASSED: ' walkthrough.log || { echo "expected 'backplane conformance' to end with PASSED"; exit 1; }
echo "OK: the walkthrough in $(basename "$doc") works as written"
echo "bp-test: ran=2 skipped=0"  # devices and conformance as the doc promises (scripts/check-test-counts.py)
