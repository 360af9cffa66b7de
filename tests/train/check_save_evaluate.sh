#!/usr/bin/env bash
# train.save_evaluate — `backplane train --save FILE` then
# `backplane evaluate --model FILE` report the same test accuracy, with a
# per-class confusion summary; with an emulated CUDA stack folder (tests/cudnn/
# emulator) the CPU-trained file is also evaluated on cudnn, with the same
# accuracy. Bad files and flags fail with a message naming the problem.
#   check_save_evaluate.sh <backplane binary> [<emulated CUDA stack folder>]
set -u
cli="$1"
stack="${2:-}"
unset BACKPLANE_BACKEND BACKPLANE_DISABLE BACKPLANE_FAULT BACKPLANE_GPU_MEMORY_LIMIT
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
checks=0
test_line() { grep -E '^Test: loss [0-9.]+ - accuracy [0-9.]+' "$1" | sed -E 's/^(Test: loss [0-9.]+ - accuracy [0-9.]+).*/\1/'; }

"$cli" train --backend openblas-cpu --epochs 2 --save "$work/m.safetensors" >"$work/train.txt" 2>&1 ||
  fail "train --save exit $?: $(cat "$work/train.txt")"
grep -q "^Saved the trained weights to $work/m.safetensors" "$work/train.txt" || fail "train did not say it saved"
trained=$(test_line "$work/train.txt")
[ -n "$trained" ] || fail "no Test: line from train"
checks=$((checks + 1))

"$cli" evaluate --model "$work/m.safetensors" --backend openblas-cpu >"$work/eval.txt" 2>&1 ||
  fail "evaluate exit $?: $(cat "$work/eval.txt")"
cat "$work/eval.txt"
[ "$(test_line "$work/eval.txt")" = "$trained" ] || fail "evaluate says '$(test_line "$work/eval.txt")', train said '$trained'"
grep -q "^Total params: 54986$" "$work/eval.txt" || fail "no model summary"
grep -q "^Per class:" "$work/eval.txt" || fail "no per-class summary"
[ "$(grep -cE '^ +[0-9] +[0-9]+ +[0-9]+ ' "$work/eval.txt")" -ge 10 ] || fail "the per-class table lacks rows"
grep -q "^Confusion matrix" "$work/eval.txt" || fail "no confusion matrix"
checks=$((checks + 1))

if [ -n "$stack" ]; then
  BACKPLANE_CUDA_PATH="$stack" BACKPLANE_CUDNN_PATH="$stack" BACKPLANE_DEP_SEARCH=override_only \
    "$cli" evaluate --model "$work/m.safetensors" --backend cudnn >"$work/eval-cudnn.txt" 2>&1 ||
    fail "evaluate on cudnn exit $?: $(cat "$work/eval-cudnn.txt")"
  grep -q "^Evaluating on cudnn" "$work/eval-cudnn.txt" || fail "not evaluated on cudnn: $(cat "$work/eval-cudnn.txt")"
  gpu=$(test_line "$work/eval-cudnn.txt" | sed -E 's/.*accuracy //')
  [ "$gpu" = "${trained##*accuracy }" ] || fail "cudnn accuracy $gpu, openblas-cpu trained ${trained##*accuracy }"
  echo "cudnn (emulated): $(test_line "$work/eval-cudnn.txt")"
  checks=$((checks + 1))
fi

# Failures: exit 1 and the problem named.
expect_fail() {  # name, expected text, command...
  local name="$1" words="$2"
  shift 2
  "$@" >"$work/$name.txt" 2>&1
  local rc=$?
  [ $rc -eq 1 ] || fail "$name: exit $rc, want 1: $(cat "$work/$name.txt")"
  grep -q -- "$words" "$work/$name.txt" || fail "$name: no '$words' in: $(cat "$work/$name.txt")"
  checks=$((checks + 1))
}
expect_fail missing "$work/absent.safetensors: cannot open" "$cli" evaluate --model "$work/absent.safetensors"
head -c 1000 "$work/m.safetensors" >"$work/cut.safetensors"
expect_fail truncated "truncated" "$cli" evaluate --model "$work/cut.safetensors" --backend openblas-cpu
expect_fail no_model "model is required" "$cli" evaluate
expect_fail save_all "--save needs one backend" "$cli" train --backend all --save "$work/x.safetensors"
expect_fail bad_dataset "unknown dataset" "$cli" evaluate --model "$work/m.safetensors" --dataset nosuch

echo "OK: train --save and evaluate agree"
echo "bp-test: ran=$checks skipped=0"  # read by scripts/check-test-counts.py
