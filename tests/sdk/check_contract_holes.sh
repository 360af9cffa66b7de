#!/usr/bin/env bash
# The conformance kit must FAIL a plugin with a contract hole that ordinary
# runs hide, on the check named for it. Arguments: the backplane tool, then the
# broken builds of tests/sdk/table_plugin.cpp (libbackplane-table-<hole>.so).
set -uo pipefail
cli="$1"
shift
declare -A expect=(
  [byte-offset]='^FAIL  errors\.bounds: .*(before the tensor was written|ignore byte_offset)'
  [write-past]='^FAIL  errors\.bounds: .*past the tensor.s end was written'
  [decline-internal]='^FAIL  errors\.declines: .*BP_ERR_INTERNAL'
  [misaligned]='^FAIL  errors\.alignment: .*aligned to 16 bytes; the ABI promises 64'
)
# These plugins break the contract on purpose: under ASan (the CI's ASan stage) their
# out-of-bounds writes are reported as well; those expected reports go to a folder of
# this test, not to the stage's report folder, which must stay empty.
if [[ -n "${ASAN_OPTIONS:-}" ]]; then
  expected_reports="$(mktemp -d)"
  export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$expected_reports/asan"
fi
ran=0
failed=0
for plugin in "$@"; do
  hole="$(basename "$plugin" .so)"
  hole="${hole#libbackplane-table-}"
  pattern="${expect[$hole]:-}"
  [[ -n "$pattern" ]] || { echo "no expectation for $plugin"; exit 1; }
  report="$("$cli" conformance "$plugin" --threads 2 --cycles 5 2>&1)"
  rc=$?
  ran=$((ran + 1))
  if [[ $rc -ne 1 ]] || ! grep -Eq "$pattern" <<<"$report"; then
    echo "$report"
    echo "FAILED: $hole: expected exit 1 and a line matching: $pattern (exit $rc)"
    failed=$((failed + 1))
  else
    echo "OK: $hole: $(grep -E "$pattern" <<<"$report" | head -1)"
  fi
done
[[ $ran -eq 4 ]] || { echo "expected 4 broken plugins, got $ran"; exit 1; }
echo "bp-test: ran=$ran skipped=0"
[[ $failed -eq 0 ]]
