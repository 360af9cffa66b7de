#!/usr/bin/env bash
# check_registration.sh <registration_selftest> — the shared test main's rules,
# run for real: each line is one expectation on exit status and output.
set -u
exe="$1"
ran=0
expect() {  # expected-status grep-pattern description -- args...
  local want=$1 pattern=$2 what=$3
  shift 4
  local out status
  out=$("$exe" "$@" 2>&1)
  status=$?
  if [ "$status" -ne "$want" ] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: $what: exit $status (want $want), output lacks '$pattern':"
    echo "$out"
    exit 1
  fi
  echo "ok: $what"
  ran=$((ran + 1))
}
name='selftest: a name, with commas, * and ? [brackets] runs by its exact name'
expect 0 'bp-test: ran=1 skipped=0' "an exact name with , * ? [ ] runs that one case" -- "--bp-case=$name"
expect 1 'no test case ran' "a misspelled exact name fails" -- "--bp-case=selftest: no such case"
expect 1 'no test case ran' "a wildcard filter that matches nothing fails" -- "--test-case=nothing*matches"
expect 77 'SKIPPED' "a case that skips ends the run with 77" -- "--bp-case=selftest: a case that cannot run here skips"
expect 1 'register each case that may skip' "a skip beside a passing case fails the run" -- "--test-case=selftest:*"
expect 0 'listing all test case names' "a query (--list-test-cases) is not a run" -- --list-test-cases
echo "bp-test: ran=$ran skipped=0"
