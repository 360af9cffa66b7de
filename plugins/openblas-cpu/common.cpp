#include "common.hpp"

#include <cstdlib>
#include <memory>
#include <string>

#include "backplane/sdk/plugin.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BP_CPU_RELAX() _mm_pause()
#else
#define BP_CPU_RELAX() std::this_thread::yield()
#endif

namespace bp::openblas_cpu {

namespace {
// Roughly 20-50 us of polling before a worker sleeps: longer than the gap
// between consecutive ops of a training step, short enough not to burn a core
// when the host is idle.
constexpr int kSpinIterations = 20000;
}  // namespace

thread_pool::thread_pool(int threads) {
  if (threads < 1) threads = 1;
  workers_.reserve(threads - 1);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

thread_pool::~thread_pool() {
  {
    std::lock_guard<std::mutex> lk(wake_mutex_);
    stop_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void thread_pool::work(int participant) {
  for (;;) {
    const int64_t item = next_item_.fetch_add(1, std::memory_order_relaxed);
    if (item >= job_items_) break;
    job_(job_ctx_, item, participant);
  }
}

void thread_pool::worker_loop(int participant) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpinIterations; ++spin) {
      BP_CPU_RELAX();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lk(wake_mutex_);
      ++sleepers_;
      wake_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      --sleepers_;
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    if (stop_.load(std::memory_order_acquire)) return;
    // Every worker acknowledges every job (even with nothing to do) so that
    // none can still be reading this job's fields when the next one is posted.
    if (participant < job_participants_) work(participant);
    pending_workers_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void thread_pool::run_erased(int64_t items, job_fn fn, void* ctx) {
  std::unique_lock<std::mutex> busy(submit_, std::try_to_lock);
  if (!busy.owns_lock() || workers_.empty() || items == 1) {
    for (int64_t i = 0; i < items; ++i) fn(ctx, i, 0);
    return;
  }
  const int64_t participants = items < size() ? items : size();
  job_ = fn;
  job_ctx_ = ctx;
  job_items_ = items;
  job_participants_ = static_cast<int>(participants);
  next_item_.store(0, std::memory_order_relaxed);
  pending_workers_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  bool notify = false;
  {
    std::lock_guard<std::mutex> lk(wake_mutex_);
    generation_.fetch_add(1, std::memory_order_release);
    notify = sleepers_ > 0;
  }
  if (notify) wake_.notify_all();
  // Exceptions from items are not expected (kernels do not throw after
  // validation); if one does, finish the wait first so no worker touches a
  // dead job, then rethrow.
  std::exception_ptr error;
  try {
    work(0);
  } catch (...) {
    error = std::current_exception();
    next_item_.store(items, std::memory_order_relaxed);
  }
  for (int spin = 0; pending_workers_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpinIterations)
      BP_CPU_RELAX();
    else
      std::this_thread::yield();
  }
  if (error) std::rethrow_exception(error);
}

namespace {
struct aligned_free {
  void operator()(float* p) const { std::free(p); }
};
struct scratch_buffer {
  std::unique_ptr<float, aligned_free> data;
  size_t capacity = 0;
};
}  // namespace

float* thread_scratch(size_t floats, int slot) {
  thread_local scratch_buffer buffers[4];
  scratch_buffer& b = buffers[slot & 3];
  if (b.capacity < floats) {
    const size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
    void* p = std::aligned_alloc(64, bytes > 0 ? bytes : 64);
    if (!p) throw std::bad_alloc();
    b.data.reset(static_cast<float*>(p));
    b.capacity = floats;
  }
  return b.data.get();
}

int configured_threads() {
  const std::string opt = bp::sdk::option("CPU_THREADS");
  if (!opt.empty()) {
    char* end = nullptr;
    const long v = std::strtol(opt.c_str(), &end, 10);
    if (end && *end == '\0' && v >= 1 && v <= 1024) return static_cast<int>(v);
    bp::sdk::log(BP_LOG_WARN, "ignoring BACKPLANE_CPU_THREADS='" + opt + "' (expected an integer 1..1024)");
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

namespace {
std::mutex g_pool_mutex;
std::unique_ptr<thread_pool> g_pool;
int g_pool_users = 0;
}  // namespace

void create_pool(int threads) {
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (g_pool_users++ == 0 || !g_pool) g_pool = std::make_unique<thread_pool>(threads);
}

void destroy_pool() {
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (g_pool_users > 0 && --g_pool_users == 0) g_pool.reset();
}

thread_pool& pool() {
  // Kernels run only between init and shutdown; the lazy path covers a host
  // that calls op_execute without init (tests of the raw table).
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (!g_pool) g_pool = std::make_unique<thread_pool>(configured_threads());
  return *g_pool;
}

}  // namespace bp::openblas_cpu
