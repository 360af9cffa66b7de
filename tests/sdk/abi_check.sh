#!/usr/bin/env bash
# ABI check of libbackplane with libabigail (docs/abi.md, "ABI checks").
#
#   abi_check.sh check    LIB PROBE BASELINE_DIR HEADERS_DIR WORK   -> compare with the baseline
#   abi_check.sh generate LIB PROBE BASELINE_DIR HEADERS_DIR WORK   -> rewrite the baseline
#   abi_check.sh selftest CC  SOURCE_DIR BASELINE_DIR HEADERS_DIR WORK -> a removed struct member must be caught
#
# Two parts, both machine-independent (no paths, no locations, no DT_NEEDED):
#   libbackplane.abi  the exported bp_* functions of the library (debug info stripped:
#                     symbols only, whatever the build type);
#   public-types.abi  the layout of every struct and enum of abi.h and runtime.h, from a
#                     -g probe library (abi_types_probe.c) restricted to the public headers.
# Fails on an incompatible change: a removed bp_* function, or a type change other than
# a member appended at the end of a struct (what the struct_size rule allows).
set -euo pipefail
mode="$1"
shift
abidw_flags=(--no-corpus-path --no-show-locs --no-comp-dir-path --no-elf-needed --drop-undefined-syms)

symbols_abi() {  # LIB OUT BASELINE_DIR WORK
  objcopy --strip-debug "$1" "$4/libbackplane.stripped.so"
  abidw "${abidw_flags[@]}" --suppressions "$3/exported-symbols.suppr" --out-file "$2" "$4/libbackplane.stripped.so"
  sed -i 's/ path=[^ >]*//' "$2"
}
types_abi() {  # PROBE OUT HEADERS_DIR
  abidw "${abidw_flags[@]}" --headers-dir "$3" --out-file "$2" "$1"
  sed -i 's/ path=[^ >]*//' "$2"
}

# Incompatible type changes in an abidiff report (appending a member is allowed).
incompatible_types() {
  grep -E "data member deletion|data members? deletions?|offset changed|type of '[^']*' changed|enumerator[^\n]*(deletion|value changed)|function (symbol|parameter)[^\n]*(deleted|removed)|[0-9]+ Removed function" "$1" || true
}

case "$mode" in
  generate)
    lib="$1" probe="$2" baseline="$3" headers="$4" work="$5"
    mkdir -p "$work"
    symbols_abi "$lib" "$baseline/libbackplane.abi" "$baseline" "$work"
    types_abi "$probe" "$baseline/public-types.abi" "$headers"
    echo "wrote $baseline/libbackplane.abi and $baseline/public-types.abi"
    ;;
  check)
    lib="$1" probe="$2" baseline="$3" headers="$4" work="$5"
    rm -rf "$work" && mkdir -p "$work"
    symbols_abi "$lib" "$work/libbackplane.abi" "$baseline" "$work"
    types_abi "$probe" "$work/public-types.abi" "$headers"
    status=0
    set +e
    abidiff "$baseline/libbackplane.abi" "$work/libbackplane.abi" >"$work/symbols.diff" 2>&1
    rc_symbols=$?
    abidiff "$baseline/public-types.abi" "$work/public-types.abi" >"$work/types.diff" 2>&1
    rc_types=$?
    set -e
    echo "== exported functions (abidiff exit $rc_symbols) =="
    cat "$work/symbols.diff"
    echo "== public types (abidiff exit $rc_types) =="
    cat "$work/types.diff"
    if (( rc_symbols & 1 || rc_types & 1 )); then echo "FAIL: abidiff could not run"; exit 1; fi
    if (( rc_symbols & 8 )) || grep -q "Removed function" "$work/symbols.diff"; then
      echo "FAIL: exported bp_* functions were removed or changed incompatibly"; status=1
    fi
    bad="$(incompatible_types "$work/types.diff")"
    if (( rc_types & 8 )) || [[ -n "$bad" ]]; then
      echo "FAIL: incompatible change of a public type:"; echo "$bad"; status=1
    fi
    if (( status == 0 )); then
      if (( rc_symbols || rc_types )); then
        echo "OK: only compatible additions (new functions / appended members). Record them in docs/abi.md and"
        echo "    regenerate the baseline with the minor version bump."
      else
        echo "OK: the ABI matches the baseline"
      fi
    fi
    echo "bp-test: ran=2 skipped=0"  # exported functions, public types (scripts/check-test-counts.py)
    exit $status
    ;;
  selftest)
    cc="$1" source="$2" baseline="$3" headers="$4" work="$5"
    rm -rf "$work" && mkdir -p "$work/include/backplane"
    cp "$headers"/*.h "$work/include/backplane/"
    # An incompatible change: drop bp_event.remedy (its last member).
    sed -i '/const char\* remedy;    \/\* what to do \*\//d' "$work/include/backplane/runtime.h"
    grep -q "remedy;    /\* what to do" "$work/include/backplane/runtime.h" && { echo "selftest: mutation did not apply"; exit 1; }
    "$cc" -g -O0 -fPIC -shared -fvisibility=hidden -Wl,-soname,libsdk_abi_types_probe.so -I"$work/include" "$source/tests/sdk/abi_types_probe.c" -o "$work/probe.so"
    types_abi "$work/probe.so" "$work/public-types.abi" "$work/include/backplane"
    set +e
    abidiff "$baseline/public-types.abi" "$work/public-types.abi" >"$work/types.diff" 2>&1
    rc=$?
    set -e
    cat "$work/types.diff"
    bad="$(incompatible_types "$work/types.diff")"
    if (( rc == 0 )) || [[ -z "$bad" && $(( rc & 8 )) -eq 0 ]]; then
      echo "FAIL: removing bp_event.remedy was not reported as incompatible (abidiff exit $rc)"; exit 1
    fi
    echo "OK: the check flags a removed struct member (abidiff exit $rc)"
    echo "bp-test: ran=1 skipped=0"
    ;;
  *) echo "usage: $0 check|generate|selftest ..."; exit 2 ;;
esac
