#!/usr/bin/env bash
# ci-sanitizers.sh — the reliability stage of CI (called by scripts/test.sh).
#
#   1. ASan+UBSan (g++): the whole CTest suite, leak detection on; any report
#      in any process (tests and the children they spawn) fails the stage.
#      With the CUDA toolkit present the cudnn plugin is built too, so its host
#      code and its own kernels (compiled as C++ by the emulated libcuda.so.1 of
#      tests/cudnn/emulator) run instrumented on the CPU: cudnn.emu_*, the
#      emulated SDK conformance and the raw-table tests. Device memory there is
#      exact-size host memory, so ASan sees a kernel's overrun of an allocation
#      (but not of a tensor inside the plugin's rounded, cached blocks).
#      Cost on the 2-core dev machine: ctest 27 s without cudnn (26 tests) ->
#      91 s with it (66 tests; cudnn.emu_training 55 s, cudnn.emu_cli 33 s);
#      cold build 460 s with cudnn, of which the cudnn part is 94 s.
#   2. TSan (g++): the loader/runtime concurrency tests (reliability
#      "concurrency" suite + the core tests) fail on any data race.
#   3. libFuzzer (clang 14, ASan+UBSan): each fuzz target from the seed corpus
#      with a fixed seed (BACKPLANE_FUZZ_SEED, default 1) for a fixed number of
#      runs (BACKPLANE_FUZZ_RUNS), capped at BACKPLANE_FUZZ_SECONDS (default 20)
#      so CI explores the same inputs as a local run of the same tree; a crash fails
#      the stage and leaves its input in <build-fuzz>/artifacts/<target>/
#      (copy it into tests/fuzz/regressions/<target>/ to replay it forever).
#
# Environment: BACKPLANE_SAN_STAGES (default "asan tsan fuzz"),
# BACKPLANE_FUZZ_SECONDS, BACKPLANE_SAN_JOBS (default nproc), BACKPLANE_WITH_CUDNN
# (ON/OFF/AUTO for every stage; unset: ON for asan when nvcc is found, else OFF;
# OFF for tsan and fuzz, which build only their own targets).
# Build folders: build-asan, build-tsan, build-fuzz (reused when present).
# Prints a timing line per stage; runs every stage, then exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
stages=${BACKPLANE_SAN_STAGES:-"asan tsan fuzz"}
fuzz_seconds=${BACKPLANE_FUZZ_SECONDS:-20}
jobs=${BACKPLANE_SAN_JOBS:-$(nproc 2>/dev/null || echo 2)}
# The asan stage builds the cudnn plugin whenever the CUDA toolkit (nvcc) is present: its
# host code and its own kernels then run on the emulated CUDA stack (tests/cudnn/emulator),
# so ASan sees their overruns without a GPU. TSan and fuzz stages build only their targets.
if [ -n "${BACKPLANE_WITH_CUDNN:-}" ]; then
  asan_cudnn=$BACKPLANE_WITH_CUDNN
elif command -v nvcc >/dev/null 2>&1 || [ -x "${CUDAToolkit_ROOT:-/usr/local/cuda}/bin/nvcc" ]; then
  asan_cudnn=ON  # toolkit found: a missing cudnn.h must fail the stage, not shrink it
else
  asan_cudnn=OFF
fi
cudnn=${BACKPLANE_WITH_CUDNN:-OFF}
timings=()
failed=()
stage_start=0

begin() {
  stage_start=$(date +%s)
  echo
  echo "== ci-sanitizers: $1"
}
end() {
  local t=$(( $(date +%s) - stage_start ))
  timings+=("$1: ${t} s")
  echo "== ci-sanitizers: $1 done in ${t} s"
}
summary() {
  echo
  echo "== ci-sanitizers timings"
  for t in "${timings[@]}"; do echo "   $t"; done
  [ ${#failed[@]} -eq 0 ] || echo "== ci-sanitizers FAILED stages: ${failed[*]}"
}
trap summary EXIT

configure() {  # dir, extra cmake args... (a later -DBACKPLANE_WITH_CUDNN wins)
  local dir=$1
  shift
  mkdir -p "$dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DBACKPLANE_WITH_CUDNN="$cudnn" -DBACKPLANE_BUILD_BENCHMARKS=OFF "$@" \
    >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; return 1; }
  grep "cudnn plugin" "$dir/configure.log" | sed "s/^-- /   /" || true
}

# Fails (after printing them) when report files under $1 hold an error (warnings such as
# "failed to allocate" from the OOM tests, or LSan's "thread was not suspended", are not errors).
check_reports() {
  local dir=$1 found=0
  for f in "$dir"/*; do
    [ -s "$f" ] || continue
    grep -qE "ERROR: (Address|Leak|Thread)Sanitizer|WARNING: ThreadSanitizer|runtime error:" "$f" || continue
    found=1
    echo "---- sanitizer report: $f"
    head -n 60 "$f"
  done
  return $found
}

if [[ " $stages " == *" asan "* ]]; then
  begin "ASan+UBSan build"
  configure build-asan -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ -DBACKPLANE_SANITIZE=address,undefined \
    -DBACKPLANE_WITH_CUDNN="$asan_cudnn"
  cmake --build build-asan -j"$jobs" >/dev/null
  end "ASan+UBSan build"

  begin "ASan+UBSan ctest"
  reports="$root/build-asan/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  # log_path: reports from child processes (CLI tests, isolated probes) are collected too.
  # allocator_may_return_null: the OOM tests ask for terabytes and expect a clean NULL.
  # handle_segv/abort=0: probes that crash on purpose must die by their signal, as in production.
  export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:handle_segv=0:handle_abort=0:log_path=$reports/asan"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
  export LSAN_OPTIONS="suppressions=$root/tests/reliability/lsan.supp"
  export OPENBLAS_NUM_THREADS=1
  status=0
  ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 -E torch \
    --output-junit "$root/build-asan/ctest-results.xml" --test-output-size-passed 1000000 || status=$?
  # Every entry ran cases or was counted as skipped (the torch entry runs below, on its own).
  python3 scripts/check-test-counts.py "$root/build-asan/ctest-results.xml" || status=1
  # Tests that start python3 (PyTorch) load the instrumented library into an uninstrumented
  # interpreter: the runtime must be preloaded, and the interpreter's own allocations are not ours.
  LD_PRELOAD="$(g++ -print-file-name=libasan.so)" ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
    ctest --test-dir build-asan --output-on-failure --timeout 900 -R torch --no-tests=ignore || status=$?
  check_reports "$reports" || status=1
  unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
  end "ASan+UBSan ctest"
  [ $status -eq 0 ] || failed+=("asan")
fi

if [[ " $stages " == *" tsan "* ]]; then
  begin "TSan build"
  configure build-tsan -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ -DBACKPLANE_SANITIZE=thread -DBACKPLANE_BUILD_APPS=OFF
  cmake --build build-tsan -j"$jobs" --target reliability_tests core_tests >/dev/null
  end "TSan build"

  begin "TSan concurrency tests"
  reports="$root/build-tsan/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/reliability/tsan.supp:log_path=$reports/tsan"
  export OPENBLAS_NUM_THREADS=1
  status=0
  build-tsan/bin/reliability_tests --test-suite=concurrency || status=$?
  build-tsan/bin/core_tests || status=$?
  check_reports "$reports" || status=1
  unset TSAN_OPTIONS
  end "TSan concurrency tests"
  [ $status -eq 0 ] || failed+=("tsan")
fi

if [[ " $stages " == *" fuzz "* ]]; then
  begin "fuzz build (clang, libFuzzer)"
  rtdir=$(dirname "$(clang++ -print-file-name=libclang_rt.asan-x86_64.so)")
  # -shared-libasan: the plugins are MODULEs linked with --no-undefined, so they need the
  # sanitizer runtime as a shared library. Coverage (fuzzer-no-link) goes to the core library
  # only (tests/fuzz/CMakeLists.txt): libFuzzer cannot survive a dlclose of an instrumented plugin.
  flags="-shared-libasan"
  link="-shared-libasan -Wl,-rpath,$rtdir"
  configure build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DBACKPLANE_SANITIZE=address,undefined \
    -DBACKPLANE_FUZZ=ON -DBACKPLANE_BUILD_APPS=OFF -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$link" -DCMAKE_SHARED_LINKER_FLAGS="$link" -DCMAKE_MODULE_LINKER_FLAGS="$link"
  cmake --build build-fuzz -j"$jobs" --target op_desc_fuzzer config_fuzzer discovery_fuzzer safetensors_fuzzer >/dev/null
  end "fuzz build (clang, libFuzzer)"

  export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  # libFuzzer pulls libstdc++ in ahead of the shared ASan runtime; preload the runtime instead
  # (for the fuzzers only: uninstrumented tools like cp would report their own leaks).
  preload="$rtdir/libclang_rt.asan-x86_64.so"
  export LSAN_OPTIONS="suppressions=$root/tests/reliability/lsan.supp"
  export OPENBLAS_NUM_THREADS=1
  status=0
  for target in op_desc_fuzzer config_fuzzer discovery_fuzzer safetensors_fuzzer; do
    begin "fuzz $target (${fuzz_seconds} s)"
    work="build-fuzz/fuzz-work/$target"
    artifacts="build-fuzz/artifacts/$target"
    rm -rf "$work" && mkdir -p "$work" "$artifacts"
    cp tests/fuzz/corpus/$target/* "$work/"
    # Regressions first: a crash that came back fails fast, with its name.
    LD_PRELOAD="$preload" build-fuzz/bin/$target -runs=0 tests/fuzz/regressions/$target || status=1
    # A fixed seed and a fixed number of runs (capped by time) make the CI fuzz pass
    # reproducible: the same tree explores the same inputs here and in CI. Set
    # BACKPLANE_FUZZ_SEED=0 for a random seed when hunting locally.
    # op_desc_fuzzer: no leak check inside the libFuzzer run. LeakSanitizer's tracer
    # (LLVM 14, glibc 2.36) crashes now and then reading a bogus dynamic-TLS range of a
    # thread of this process ("Tracer caught signal 11", "DTLS 6 at 0x2..."): a crash of
    # the tool that stops the run, not a finding (docs/reliability.md). Leaks of this
    # target are still checked: fuzz.op_desc_fuzzer.replay runs under ASan+LSan in the
    # ASan CTest stage.
    leak_check=1
    case $target in
      op_desc_fuzzer) runs=${BACKPLANE_FUZZ_RUNS:-400000}; leak_check=0 ;;
      config_fuzzer) runs=${BACKPLANE_FUZZ_RUNS:-300000} ;;
      safetensors_fuzzer) runs=${BACKPLANE_FUZZ_RUNS:-300000} ;;
      *) runs=${BACKPLANE_FUZZ_RUNS:-3000} ;;
    esac
    LD_PRELOAD="$preload" build-fuzz/bin/$target -seed="${BACKPLANE_FUZZ_SEED:-1}" -runs="$runs" -detect_leaks="$leak_check" \
      -max_total_time="$fuzz_seconds" -timeout=20 -rss_limit_mb=3072 -max_len=512 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" 2>"build-fuzz/$target.log" || {
        status=1
        echo "ci-sanitizers: $target FOUND A CRASH; input in $artifacts/ (copy it to tests/fuzz/regressions/$target/)"
        grep -A40 "ERROR:\|runtime error\|invariant violated\|deadly signal" "build-fuzz/$target.log" | head -n 80
      }
    # || true: a run that stopped early has no statistics, and must not end the stage before the other targets.
    grep "stat::number_of_executed_units\|stat::average_exec_per_sec\|stat::new_units_added\|stat::peak_rss_mb" \
      "build-fuzz/$target.log" | sed "s/^/   $target /" || true
    grep "cov:" "build-fuzz/$target.log" | tail -n 1 | sed "s/^/   $target final: /" || true
    end "fuzz $target (${fuzz_seconds} s)"
  done
  [ $status -eq 0 ] || failed+=("fuzz")
fi
# Every stage runs even after a failure, so one CI run shows every finding.
[ ${#failed[@]} -eq 0 ] || exit 1
echo "ci-sanitizers: all stages passed"
