#include "common.hpp"

#include <pthread.h>

#include <chrono>
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
// How long an idle worker polls before it sleeps: longer than the gap between
// consecutive ops of a training step (a few us of serial host work), short
// enough not to burn a core for long when the host does something else.
// Measured in time, not iterations: a pause instruction costs 10 cycles on
// some CPUs and 140 on others.
constexpr auto kSpinTime = std::chrono::microseconds(200);
// Pauses between clock reads while polling.
constexpr int kPausesPerClockRead = 32;

// Polls `done` until it returns true or kSpinTime passed; returns done().
template <typename Done>
bool spin_until(Done&& done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < kPausesPerClockRead; ++i) {
      if (done()) return true;
      BP_CPU_RELAX();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}
}  // namespace

namespace {
// Set in the child of a fork(): the pool's worker threads did not survive it,
// so the child runs every job on the calling thread and must not join them.
std::atomic<bool> g_forked_child{false};
void mark_forked_child() { g_forked_child.store(true, std::memory_order_relaxed); }
}  // namespace

thread_pool::thread_pool(int threads) {
  static const int registered = pthread_atfork(nullptr, nullptr, mark_forked_child);
  (void)registered;
  // Only one pool exists at a time (create_pool), so a pool made in a forked
  // child owns live threads again.
  g_forked_child.store(false, std::memory_order_relaxed);
  if (threads < 1) threads = 1;
  shares_ = std::make_unique<share_counter[]>(size_t(threads));
  workers_.reserve(size_t(threads - 1));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

thread_pool::~thread_pool() {
  stop_.store(true, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lk(wake_mutex_);
    // A generation change wakes sleepers; they see stop_ and exit.
    state_.fetch_add(uint64_t(1) << 32, std::memory_order_acq_rel);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void thread_pool::work(uint32_t gen, const job& j, int participant) {
  const int parts = size();
  // Own share first, then the others' in turn.
  for (int k = 0; k < parts; ++k) {
    const int t = (participant + k) % parts;
    const uint32_t end = uint32_t(uint64_t(j.items) * uint64_t(t + 1) / uint64_t(parts));
    std::atomic<uint64_t>& next = shares_[size_t(t)].next;
    uint64_t s = next.load(std::memory_order_acquire);
    for (;;) {
      if (uint32_t(s >> 32) != gen || closed_gen_.load(std::memory_order_acquire) == gen) return;
      if (uint32_t(s) >= end) break;
      if (!next.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      try {
        j.fn(j.ctx, int64_t(uint32_t(s)), participant);
      } catch (...) {
        std::lock_guard<std::mutex> lk(error_mutex_);
        if (!error_) error_ = std::current_exception();
        closed_gen_.store(gen, std::memory_order_release);
        return;
      }
      s = next.load(std::memory_order_acquire);
    }
  }
}

void thread_pool::worker_loop(int participant) {
  // Generation 0 is never a job: a pool destroyed before this thread first
  // ran still differs from it, and stop_ is part of every wait condition.
  uint32_t seen = 0;
  for (;;) {
    uint64_t s = 0;
    auto posted = [&] {
      s = state_.load(std::memory_order_acquire);
      return uint32_t(s >> 32) != seen || stop_.load(std::memory_order_acquire);
    };
    if (!spin_until(posted)) {
      std::unique_lock<std::mutex> lk(wake_mutex_);
      ++sleepers_;
      wake_.wait(lk, posted);
      --sleepers_;
    }
    if (stop_.load(std::memory_order_acquire)) return;
    const uint32_t gen = uint32_t(s >> 32);
    seen = gen;
    // Join the job only if it is still the current one after announcing
    // ourselves; otherwise the caller may already have returned.
    active_.fetch_add(1, std::memory_order_acq_rel);
    if (uint32_t(state_.load(std::memory_order_acquire) >> 32) == gen) work(gen, jobs_[gen & 1], participant);
    active_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void thread_pool::run_erased(int64_t items, job_fn fn, void* ctx) {
  std::unique_lock<std::mutex> busy(submit_, std::try_to_lock);
  if (!busy.owns_lock() || workers_.empty() || items == 1 || items > int64_t(UINT32_MAX) ||
      g_forked_child.load(std::memory_order_relaxed)) {
    for (int64_t i = 0; i < items; ++i) fn(ctx, i, 0);
    return;
  }
  const uint32_t gen = uint32_t(state_.load(std::memory_order_relaxed) >> 32) + 1;
  job& j = jobs_[gen & 1];
  j.fn = fn, j.ctx = ctx, j.items = uint32_t(items);
  closed_gen_.store(gen - 1, std::memory_order_relaxed);  // any value but gen
  const int parts = size();
  for (int t = 0; t < parts; ++t)
    shares_[size_t(t)].next.store((uint64_t(gen) << 32) | (uint64_t(items) * uint64_t(t) / uint64_t(parts)),
                                  std::memory_order_relaxed);
  state_.store(uint64_t(gen) << 32, std::memory_order_release);
  bool notify;
  {
    std::lock_guard<std::mutex> lk(wake_mutex_);
    notify = sleepers_ > 0;
  }
  if (notify) wake_.notify_all();
  work(gen, j, 0);
  // Every item is claimed; wait for the threads still running one.
  // (A joined worker holds its item for at most one item's time, so after the
  // spin budget yield rather than sleep.)
  if (!spin_until([&] { return active_.load(std::memory_order_acquire) == 0; }))
    while (active_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lk(error_mutex_);
    std::swap(error, error_);
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

std::string host_option(const bp_host_api* host, const char* name) {
  return bp::sdk::option(host, name);  // the host this call received: each runtime answers its own
}

void host_log(const bp_host_api* host, bp_log_level level, const std::string& message) {
  bp::sdk::log(host, level, message);
}

int configured_threads(const bp_host_api* host) {
  const std::string opt = host_option(host, "CPU_THREADS");
  if (!opt.empty()) {
    char* end = nullptr;
    const long v = std::strtol(opt.c_str(), &end, 10);
    if (end && *end == '\0' && v >= 1 && v <= 1024) return static_cast<int>(v);
    host_log(host, BP_LOG_WARN, "ignoring BACKPLANE_CPU_THREADS='" + opt + "' (expected an integer 1..1024)");
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

namespace {
std::atomic<conv_kernel> g_conv_kernel{conv_kernel::automatic};
}  // namespace

conv_kernel conv_kernel_choice() { return g_conv_kernel.load(std::memory_order_relaxed); }

void read_conv_kernel_option(const bp_host_api* host) {
  const std::string v = host_option(host, "CPU_CONV_KERNEL");
  if (v.empty() || v == "auto") {
    g_conv_kernel = conv_kernel::automatic;
  } else if (v == "gemm") {
    g_conv_kernel = conv_kernel::gemm;
  } else {
    g_conv_kernel = conv_kernel::automatic;
    host_log(host, BP_LOG_WARN, "ignoring BACKPLANE_CPU_CONV_KERNEL='" + v + "' (expected auto or gemm)");
  }
}

namespace {
// Owns the plugin's pool. In a forked child the pool is leaked instead of
// destroyed: its worker threads exist only in the parent (joining them would
// never return) and its condition variable still counts the parent's
// sleeping workers as waiters (destroying it would never return either).
// `current` mirrors `pool` for the lock-free lookup in pool().
struct pool_holder {
  std::unique_ptr<thread_pool> pool;
  std::atomic<thread_pool*> current{nullptr};
  void set(std::unique_ptr<thread_pool> p) {
    reset();
    pool = std::move(p);
    current.store(pool.get(), std::memory_order_release);
  }
  void reset() {
    current.store(nullptr, std::memory_order_release);
    if (g_forked_child.load(std::memory_order_relaxed))
      (void)pool.release();
    else
      pool.reset();
  }
  ~pool_holder() { reset(); }
};
std::mutex g_pool_mutex;
pool_holder g_pool;
int g_pool_users = 0;
}  // namespace

void create_pool(int threads) {
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (g_pool_users++ == 0 || !g_pool.pool) g_pool.set(std::make_unique<thread_pool>(threads));
}

void destroy_pool() {
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (g_pool_users > 0 && --g_pool_users == 0) g_pool.reset();
}

thread_pool& pool() {
  // Kernels run only between init and shutdown; the lazy path covers a host
  // that calls op_execute without init (tests of the raw table).
  // Lock-free on the per-op path (init created the pool; shutdown is not
  // concurrent with ops by the ABI's threading rules).
  if (thread_pool* p = g_pool.current.load(std::memory_order_acquire)) return *p;
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (!g_pool.pool) g_pool.set(std::make_unique<thread_pool>(configured_threads()));
  return *g_pool.pool;
}

}  // namespace bp::openblas_cpu
