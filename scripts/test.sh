#!/usr/bin/env bash
# The README's test command: install missing Debian packages, build, run the
# whole test suite (CTest), then the reliability stage (sanitizers + short fuzz
# runs) when its script is present. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/install-deps.sh
scripts/build.sh
BUILD_DIR=${BACKPLANE_BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$jobs"
if [ -x scripts/ci-sanitizers.sh ] && [ "${BACKPLANE_SKIP_SANITIZERS:-0}" != 1 ]; then
  scripts/ci-sanitizers.sh
fi
echo "test.sh: all stages passed in $(( $(date +%s) - start )) s"
