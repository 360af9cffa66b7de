#!/usr/bin/env bash
# The README's test command: install missing Debian packages, build, run the
# whole test suite (CTest), check that every CTest entry ran cases (or was
# counted as skipped, with its reason), then the reliability stage (sanitizers +
# short fuzz runs) when its script is present. Exits non-zero on any failure;
# ends with the CTest summary (passed, failed, skipped with their names).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/install-deps.sh
scripts/build.sh
BUILD_DIR=${BACKPLANE_BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
junit="$BUILD_DIR/ctest-results.xml"
summary="$BUILD_DIR/ctest-summary.txt"
# Passed tests keep their whole output in the JUnit file: check-test-counts reads
# each entry's last "bp-test: ran=N" line from it.
ctest_status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$jobs" --output-junit "$(pwd)/$junit" \
  --test-output-size-passed 1000000 --test-output-size-failed 1000000 | tee "$BUILD_DIR/ctest.log" || ctest_status=$?
sed -n '/tests passed, /,$p' "$BUILD_DIR/ctest.log" > "$summary"
scripts/check-test-counts.py "$junit" || ctest_status=1
[ $ctest_status -eq 0 ] || { echo "test.sh: CTest failed"; cat "$summary"; exit 1; }
if [ -x scripts/ci-sanitizers.sh ] && [ "${BACKPLANE_SKIP_SANITIZERS:-0}" != 1 ]; then
  scripts/ci-sanitizers.sh
fi
echo
echo "== CTest summary ($BUILD_DIR)"
cat "$summary"
echo "test.sh: all stages passed in $(( $(date +%s) - start )) s"
