#!/usr/bin/env bash
# The README's main-job command: install missing Debian packages, build, show
# which devices and backends this machine has (and why a GPU is not used, if it
# is not), then train the reference CNN on every usable backend and compare.
# Extra arguments go to `backplane train` (e.g. --dataset fashion-mnist --epochs 5).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
BUILD_DIR=${BACKPLANE_BUILD_DIR:-build}
bin="$BUILD_DIR/bin/backplane"
echo
echo "== backplane devices"
"$bin" devices || true   # a non-zero exit here only reports a fallback; training goes on
# Without arguments: the article's synthetic set, for 3 epochs so the loss
# can be seen falling (the labels are random, so it falls by memorising).
[ $# -gt 0 ] || set -- --epochs 3
echo
echo "== backplane train --backend all $*"
"$bin" train --backend all "$@"
