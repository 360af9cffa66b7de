#!/usr/bin/env bash
# `backplane conformance` modes and filters, and `backplane devices --ops`, as
# a plugin author types them (issue #11 section 4).
# Usage: check_conformance_cli.sh BACKPLANE_CLI OPENBLAS_PLUGIN
set -u
cli="$1"
plugin="$2"
plugin_dir="$(dirname "$plugin")"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
ran=0
fail() { echo "FAIL: $*"; echo "--- output:"; cat "$out"; exit 1; }
expect() {  # expect EXIT_CODE TEXT... -- COMMAND...
  local want="$1"; shift
  local texts=()
  while [[ "$1" != "--" ]]; do texts+=("$1"); shift; done
  shift
  "$@" >"$out" 2>&1
  local rc=$?
  [[ $rc -eq $want ]] || fail "exit $rc (want $want): $*"
  for t in "${texts[@]}"; do grep -qF -- "$t" "$out" || fail "'$t' missing from: $*"; done
  ran=$((ran + 1))
}

# support: per-case claims, then the matrix of op kinds by plugins
expect 0 "PASS  support.GEMM" "op " "GEMM" "all " -- "$cli" conformance --mode support -o GEMM,ADD "$plugin"
# -b finds the plugin by name through the core's discovery
expect 0 "support.CONV2D_BWD_DATA" "openblas-cpu" -- \
  "$cli" conformance --mode support -o CONV2D -b openblas-cpu --plugin-path "$plugin_dir"
# perf: rates and fractions of the plugin's measured peaks
expect 0 "GFLOP/s" "of the measured GFLOP/s peak" "measured peak" "GB/s" -- \
  "$cli" conformance --mode perf -o GEMM,ACTIVATION --seconds 0.02 "$plugin"
expect 0 '"fraction_of_peak"' '"peak"' -- "$cli" conformance --mode perf -o ADD --seconds 0.02 --json "$plugin"
# grad: backward ops against finite differences
expect 0 "PASS  grad.CONV2D_BWD_DATA" "PASS  grad.CONV2D_BWD_FILTER" -- "$cli" conformance --mode grad -o CONV2D "$plugin"
# test mode filtered to one op kind
expect 0 "PASS  ops.POOL2D_FWD" "PASSED" -- "$cli" conformance -o POOL2D_FWD --cycles 0 --threads 0 "$plugin"
# errors: a filter that names nothing, a mode that does not exist, no plugin at all
expect 1 "op filter 'NOPE' names no op kind" -- "$cli" conformance --mode support -o NOPE "$plugin"
expect 1 "'fast' is not a mode" -- "$cli" conformance --mode fast "$plugin"
expect 1 "no plugin file named nosuch" -- "$cli" conformance --mode support -b nosuch --plugin-path "$plugin_dir"
# the case files, listed
expect 0 '"dilation":[2,2]' '"offset":' -- "$cli" conformance --list-cases -o CONV2D_FWD
# devices --ops: the same matrix under the device listing
expect 0 "Ops (what each ready plugin runs itself)" "SOFTMAX_XENT_FWD" -- \
  "$cli" devices --ops --plugin-path "$plugin_dir"
echo "bp-test: ran=$ran skipped=0"
