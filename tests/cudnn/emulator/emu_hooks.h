/* emu_hooks.h — what the emulated CUDA driver (the test-only libcuda.so.1 of
 * tests/cudnn/emulator) offers the emulated cuBLAS and cuDNN libraries.
 *
 * The emulated stack runs the cudnn plugin's own host code and its own CUDA
 * kernels on the CPU, so the GPU conformance suite can run on machines with
 * no GPU. "Device" memory is host memory the emulated driver allocated; work
 * enqueued on a stream is DEFERRED until the stream (or the context) is
 * synchronised, exactly the ordering the CUDA programming model promises and
 * no more, so a missing synchronisation in the plugin shows up as wrong data.
 *
 * The emulated cuBLAS/cuDNN link against the emulated libcuda.so.1 (RUNPATH
 * $ORIGIN) and use these two calls to honour the same rules. */
#ifndef BP_EMU_HOOKS_H
#define BP_EMU_HOOKS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*bp_emu_task_fn)(void* context);

/* Enqueues `run(context)` on `stream` (a CUstream from cuStreamCreate, or NULL
 * for the legacy default stream). It runs in order with the stream's other
 * work when that stream or the context is synchronised; `release(context)`
 * (may be NULL) runs after it, or when the stream is destroyed unrun.
 * Returns 0, or non-zero for an unknown stream (nothing is enqueued then). */
__attribute__((visibility("default"))) int bp_emu_enqueue(void* stream, bp_emu_task_fn run, void* context,
                                                          bp_emu_task_fn release);

/* 1 when [ptr, ptr + bytes) lies inside one live allocation of the emulated
 * driver (cuMemAlloc), else 0. bytes 0 asks about ptr alone. */
__attribute__((visibility("default"))) int bp_emu_is_device_range(const void* ptr, uint64_t bytes);

/* How many times the emulated driver has done `what` since the process
 * started: "mem_alloc", "mem_free", "stream_sync", "ctx_sync", "launch",
 * "h2d", "d2h", "d2d", "memset" (0 for an unknown name). Tests use it to
 * check what a training step costs the driver (allocations, host syncs). */
__attribute__((visibility("default"))) uint64_t bp_emu_counter(const char* what);

#ifdef __cplusplus
}  /* extern "C" */

#include <memory>
#include <utility>

namespace bp_emu {
/* Enqueues a C++ callable on a stream (moved to the heap; freed after it runs). */
template <typename F>
inline int enqueue(void* stream, F&& f) {
  using fn_t = typename std::decay<F>::type;
  auto* heap = new fn_t(std::forward<F>(f));
  int rc = bp_emu_enqueue(
      stream, [](void* c) { (*static_cast<fn_t*>(c))(); }, heap, [](void* c) { delete static_cast<fn_t*>(c); });
  if (rc != 0) delete heap;
  return rc;
}
}  // namespace bp_emu
#endif

#endif /* BP_EMU_HOOKS_H */
