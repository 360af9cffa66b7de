#!/usr/bin/env bash
# The conformance kit must FAIL a plugin that is wrong, and for the right
# reason: the template built with BACKPLANE_TEMPLATE_BREAK_ADD adds 0.01 to
# every ADD result. Expect exit 1, "FAIL  ops.ADD" naming an element and the
# reference value, while the untouched ops (GEMM) still pass.
set -euo pipefail
walk="$1"    # the walkthrough's folder (holds the installed prefix)
work="$2"
prefix="$walk/backplane-sdk"
rm -rf "$work"
cmake -S "$prefix/../my-plugin" -B "$work" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS=-DBACKPLANE_TEMPLATE_BREAK_ADD=1 >/dev/null
cmake --build "$work" >/dev/null
set +e
"$prefix/bin/backplane" conformance "$work/libbackplane-template.so" --threads 2 --cycles 10 >"$work/report.txt" 2>&1
rc=$?
set -e
cat "$work/report.txt"
[[ $rc -eq 1 ]] || { echo "expected exit 1 from a failing conformance run, got $rc"; exit 1; }
grep -Eq '^FAIL  ops\.ADD: ADD .*output 0 \(c\) element [0-9]+: .*reference' "$work/report.txt" ||
  { echo "expected 'FAIL  ops.ADD' with the element and the reference value"; exit 1; }
grep -q '^PASS  ops\.GEMM:' "$work/report.txt" || { echo "GEMM should still pass"; exit 1; }
grep -q '^FAIL  threads\.concurrent:.*ADD' "$work/report.txt" || { echo "the thread check should see the wrong ADD too"; exit 1; }
echo "OK: the broken plugin fails conformance on ops.ADD"
