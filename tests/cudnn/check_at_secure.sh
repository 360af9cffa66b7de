#!/usr/bin/env bash
# The secure-mode rule under a real AT_SECURE (issue #17, item 6), not only the
# BACKPLANE_SECURE_MODE=1 rehearsal: a copy of the probe test binary gets a file
# capability and is started by an unprivileged user (nobody), so the kernel
# marks the process AT_SECURE, as for a setuid/file-capability host. The case
# then checks that BACKPLANE_CUDA_PATH/CUDNN_PATH/DEP_SEARCH were ignored and
# reported. Needs root, setcap and setpriv; otherwise exits 77 (skipped).
# Usage: check_at_secure.sh <cudnn_probe_tests binary>
set -u
binary="$1"
case_name="cudnn probe in a process the kernel marks AT_SECURE ignores the search settings"
if [ "$(id -u)" != 0 ] || ! command -v setcap >/dev/null || ! command -v setpriv >/dev/null; then
  echo "SKIPPED: needs root, setcap and setpriv to start a file-capability binary as an unprivileged user"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cp "$binary" "$work/probe_tests"
chmod 755 "$work/probe_tests"
if ! setcap cap_net_raw+ep "$work/probe_tests"; then
  echo "SKIPPED: setcap failed here (file system without extended attributes?)"
  exit 77
fi
cd "$work" || exit 1
setpriv --reuid=65534 --regid=65534 --clear-groups "$work/probe_tests" "--bp-case=$case_name"
rc=$?
# The case skips (77) only when the process was not AT_SECURE: here that is a failure.
[ $rc -eq 77 ] && { echo "FAIL: the capability copy did not run with AT_SECURE"; exit 1; }
exit $rc
