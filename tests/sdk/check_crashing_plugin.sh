#!/usr/bin/env bash
# The conformance kit must survive a plugin that crashes (tests/cli's
# broken-segv plugin raises SIGSEGV in probe): each check group runs in a
# child process, so the kit reports FAIL with the signal and exits 1.
set -euo pipefail
cli="$1"
plugin="$2"
set +e
report="$("$cli" conformance "$plugin" --threads 1 --cycles 2 2>&1)"
rc=$?
set -e
echo "$report"
[[ $rc -eq 1 ]] || { echo "expected exit 1, got $rc"; exit 1; }
grep -q '^FAIL  abi.no_crash: the plugin crashed with signal 11' <<<"$report" ||
  { echo "expected 'FAIL  abi.no_crash' naming signal 11"; exit 1; }
grep -q '^FAILED: ' <<<"$report" || { echo "expected the summary line"; exit 1; }
echo "OK: a crashing plugin is reported, the kit survives"
