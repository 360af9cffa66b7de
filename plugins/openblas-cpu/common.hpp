// Shared pieces of the openblas-cpu plugin: the worker pool, per-thread
// scratch buffers and typed tensor accessors.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "backplane/abi.h"
#include "backplane/sdk/tensor_util.hpp"

namespace bp::openblas_cpu {

// A persistent pool of worker threads. run() splits `tasks` work items across
// the caller and the workers (dynamic assignment, so uneven items balance).
// Workers spin briefly before sleeping because a training step issues many
// sub-millisecond ops back to back and a futex wake-up per op costs more
// than the op. Concurrent run() calls from different host threads are safe:
// a caller that finds the pool busy runs its items itself.
class thread_pool {
 public:
  explicit thread_pool(int threads);
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  // Total participants (workers + the calling thread).
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(item, participant) for every item in [0, items); participant is in
  // [0, size()) and unique among threads running concurrently for this call.
  template <typename Fn>
  void run(int64_t items, Fn&& fn) {
    if (items <= 0) return;
    auto trampoline = [](void* ctx, int64_t item, int participant) {
      (*static_cast<std::remove_reference_t<Fn>*>(ctx))(item, participant);
    };
    run_erased(items, trampoline, static_cast<void*>(&fn));
  }

 private:
  using job_fn = void (*)(void*, int64_t, int);
  void run_erased(int64_t items, job_fn fn, void* ctx);
  void worker_loop(int participant);
  void work(int participant);

  std::vector<std::thread> workers_;
  std::mutex submit_;  // one run() at a time uses the workers
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  int sleepers_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> generation_{0};
  // The current job (written before generation_ is bumped).
  job_fn job_ = nullptr;
  void* job_ctx_ = nullptr;
  int64_t job_items_ = 0;
  int job_participants_ = 0;
  std::atomic<int64_t> next_item_{0};
  std::atomic<int> pending_workers_{0};
};

// Grow-only 64-byte-aligned float buffer owned by the calling thread; `slot`
// distinguishes buffers needed at the same time by one kernel.
float* thread_scratch(size_t floats, int slot = 0);

// Worker thread count: BACKPLANE_CPU_THREADS (through the host) else the hardware's.
int configured_threads();

// The plugin-wide pool (created by init, destroyed by shutdown).
thread_pool& pool();
void create_pool(int threads);
void destroy_pool();

template <typename T>
inline T* data_of(const bp_tensor& t) {
  return bp::sdk::tensor_data<T>(t);
}
inline float* f32(const bp_tensor& t) { return data_of<float>(t); }

// Splits [0, n) into contiguous chunks so that each item of work is at least
// `grain` elements; returns the chunk count (>= 1 when n > 0).
inline int64_t chunk_count(int64_t n, int64_t grain, int threads) {
  if (n <= 0) return 0;
  int64_t chunks = n / (grain > 0 ? grain : 1);
  if (chunks < 1) chunks = 1;
  const int64_t cap = int64_t(threads) * 4;
  return chunks < cap ? chunks : cap;
}
inline int64_t chunk_begin(int64_t n, int64_t chunks, int64_t i) { return n * i / chunks; }

// Runs fn(begin, end) over [0, n) in parallel chunks of at least `grain` items.
template <typename Fn>
inline void parallel_ranges(int64_t n, int64_t grain, Fn&& fn) {
  thread_pool& p = pool();
  const int64_t chunks = chunk_count(n, grain, p.size());
  if (chunks <= 1) {
    if (n > 0) fn(int64_t(0), n);
    return;
  }
  p.run(chunks, [&](int64_t c, int) { fn(chunk_begin(n, chunks, c), chunk_begin(n, chunks, c + 1)); });
}

}  // namespace bp::openblas_cpu
