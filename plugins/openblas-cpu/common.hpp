// Shared pieces of the openblas-cpu plugin: the worker pool, per-thread
// scratch buffers and typed tensor accessors.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "backplane/abi.h"
#include "backplane/sdk/tensor_util.hpp"

// Hot loops are compiled once per ISA level and picked at load time (ifunc),
// so the module stays runnable on any x86-64 while using AVX2/AVX-512 where
// present. GCC only; other compilers get the baseline build.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BP_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define BP_MULTIVERSION
#endif

namespace bp::openblas_cpu {

// A persistent pool of worker threads. run() gives each participant a
// contiguous share of the items (participant 0 = the caller gets the first
// share), so consecutive ops that split the same batch the same way find
// their part of the activations in the same core's L2. A participant that
// finishes its share steals from the others, so uneven items balance and a
// worker the OS has not scheduled simply misses the job: the caller never
// waits for a thread that has not started. Workers spin
// briefly before sleeping because a training step issues many
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
  // An exception from any item is rethrown here after all threads left the job.
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
  struct job {
    job_fn fn = nullptr;
    void* ctx = nullptr;
    uint32_t items = 0;
  };
  void run_erased(int64_t items, job_fn fn, void* ctx);
  void worker_loop(int participant);
  // Claims and runs items of job generation `gen` until none are left.
  void work(uint32_t gen, const job& j, int participant);

  std::vector<std::thread> workers_;
  std::mutex submit_;  // one run() at a time uses the workers
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  int sleepers_ = 0;
  std::atomic<bool> stop_{false};
  // (generation << 32) of the current job; bumped to post a job.
  std::atomic<uint64_t> state_{0};
  // Per participant: (generation << 32) | next unclaimed item of its share.
  // A claim is a CAS that keeps the generation, so a thread holding a stale
  // generation can never claim.
  struct alignas(64) share_counter {
    std::atomic<uint64_t> next{0};
  };
  std::unique_ptr<share_counter[]> shares_;
  std::atomic<uint32_t> closed_gen_{0};  // a job whose item threw: claim nothing more
  // Job descriptions by generation parity: posting job g+1 never overwrites
  // the slot a late thread of job g may still be reading.
  job jobs_[2];
  std::atomic<int> active_{0};  // threads inside work() for the current job
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

// Grow-only 64-byte-aligned float buffer owned by the calling thread; `slot`
// distinguishes buffers needed at the same time by one kernel.
float* thread_scratch(size_t floats, int slot = 0);

// Worker thread count: BACKPLANE_CPU_THREADS (through the host) else the hardware's.
// `host` is the table of the call in progress (probe/init get their own);
// NULL falls back to the library-wide one from the entry symbol.
int configured_threads(const bp_host_api* host = nullptr);

// Which convolution kernels to use: BACKPLANE_CPU_CONV_KERNEL = "gemm" forces
// im2col + sgemm everywhere (for comparison and for testing that path on
// every shape); "auto" (default) uses the direct kernels where they apply.
enum class conv_kernel { automatic, gemm };
conv_kernel conv_kernel_choice();
void read_conv_kernel_option(const bp_host_api* host);

// Option lookup / log line through a given host table (NULL: the library-wide one).
std::string host_option(const bp_host_api* host, const char* name);
void host_log(const bp_host_api* host, bp_log_level level, const std::string& message);

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

// The item that item `item` of a pool run over `items` items stands for when
// each participant's contiguous share is walked backwards (an involution
// within each share, so every item still runs exactly once and each share
// keeps its place in memory). Consecutive ops that stream over the same
// per-thread data larger than L2 alternate direction with it: a pass that
// starts where the previous one ended finds up to an L2's worth still cached,
// while a pass in the same direction evicts each line just before needing it.
inline int64_t mirrored_in_share(int64_t item, int64_t items, int parts) {
  // Same share bounds as thread_pool::work.
  int64_t t = item * parts / items;
  while (t + 1 < parts && items * (t + 1) / parts <= item) ++t;
  while (t > 0 && items * t / parts > item) --t;
  const int64_t begin = items * t / parts, end = items * (t + 1) / parts;
  return begin + end - 1 - item;
}

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

// parallel_ranges with each thread's chunks in reverse order (see mirrored_in_share).
template <typename Fn>
inline void parallel_ranges_mirrored(int64_t n, int64_t grain, Fn&& fn) {
  thread_pool& p = pool();
  const int64_t chunks = chunk_count(n, grain, p.size());
  if (chunks <= 1) {
    if (n > 0) fn(int64_t(0), n);
    return;
  }
  const int parts = p.size();
  p.run(chunks, [&](int64_t item, int) {
    const int64_t c = mirrored_in_share(item, chunks, parts);
    fn(chunk_begin(n, chunks, c), chunk_begin(n, chunks, c + 1));
  });
}

}  // namespace bp::openblas_cpu
