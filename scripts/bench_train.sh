#!/usr/bin/env bash
# Training benchmark: `backplane train` (reference CNN, synthetic 1000-image
# set, batch 32, Adam) against the same model in PyTorch, in the same run.
# The first epoch of each is warm-up and excluded; both report the mean of
# the remaining epochs.
#
#   scripts/bench_train.sh [--build DIR] [--epochs N] [--threads "2 1"] [--device cpu|cuda] [--batch-sizes "32 256"]
#
# cpu: openblas-cpu with BACKPLANE_CPU_THREADS=T vs torch.set_num_threads(T), for each T.
# cuda: the cudnn backend vs PyTorch on cuda (needs a GPU; threads are irrelevant there).
# --batch-sizes: one comparison per batch size (default 32); on a GPU use "32 256".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${here}/../build"
epochs=6
threads="2 1"
device=cpu
batch_sizes=32
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    --batch-sizes) batch_sizes="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench_train.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done

tool="${build}/bin/backplane"
[[ -x "${tool}" ]] || { echo "bench_train.sh: ${tool} not found; build the backplane_cli target first" >&2; exit 1; }
python=/usr/bin/python3
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

if [[ "${device}" == cuda ]]; then
  backend=cudnn
  threads=1
else
  backend=openblas-cpu
fi

echo "Training benchmark: reference CNN, synthetic 1000x28x28x3, Adam, ${epochs} epochs (first excluded), batch sizes ${batch_sizes}"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for b in ${batch_sizes}; do
  for t in ${threads}; do
    BACKPLANE_CPU_THREADS="${t}" OPENBLAS_NUM_THREADS="${t}" \
      "${tool}" train --backend "${backend}" --epochs "${epochs}" --batch-size "${b}" --json "${work}/bp-${b}-${t}.json" \
      > "${work}/bp-${b}-${t}.log" 2>&1 || { cat "${work}/bp-${b}-${t}.log" >&2; exit 1; }
    # A peer that cannot run (e.g. no CUDA build of PyTorch) still leaves our figures printed, then fails the script.
    if ! "${python}" "${here}/bench_train_torch.py" --threads "${t}" --epochs "${epochs}" --device "${device}" \
        --batch-size "${b}" --json "${work}/torch-${b}-${t}.json" 2> "${work}/torch-${b}-${t}.log"; then
      peer_failed=1
      "${python}" -c 'import json,sys; json.dump({"error": sys.argv[1]}, open(sys.argv[2], "w"))' \
        "$(tail -n 1 "${work}/torch-${b}-${t}.log")" "${work}/torch-${b}-${t}.json"
    fi
    "${python}" "${here}/bench_train_compare.py" "${device}, batch ${b}, ${t} thread(s)" "${work}/bp-${b}-${t}.json" "${work}/torch-${b}-${t}.json"
  done
done
[[ -z "${peer_failed:-}" ]] || { echo "bench_train.sh: the PyTorch peer did not run (see above); no comparison" >&2; exit 1; }
