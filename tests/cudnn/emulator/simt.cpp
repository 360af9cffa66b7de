// simt.cpp — the CPU execution of a kernel launch: blocks in order; within a
// block, threads as plain calls or as cooperative fibers (ucontext) that
// yield at __syncthreads and at each warp rendezvous of __shfl_xor_sync.
//
// Barrier rules follow CUDA's: __syncthreads waits for every thread of the
// block that has not exited; a warp shuffle needs all 32 lanes, and a lane
// that exits while its warp waits in one is reported (undefined on a GPU).
#include <sys/mman.h>
#include <ucontext.h>

#include <array>
#include <stdexcept>
#include <vector>

#include "simt.hpp"
#include "simt_runner.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define BP_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BP_EMU_ASAN 1
#endif
#endif
#ifdef BP_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace bp_emu::simt {
namespace {

constexpr size_t kStackBytes = 128 * 1024;
constexpr unsigned kWarp = 32;

enum wait_kind { NOT_WAITING = 0, AT_BLOCK_BARRIER = 1, AT_WARP_BARRIER = 2 };

struct fiber {
  ucontext_t context;
  bool done = false;
  wait_kind wait = NOT_WAITING;
};

struct block_state {
  dim3v grid, block, index;
  unsigned threads = 0;
  bool cooperative = false;
  const std::function<void()>* body = nullptr;
  std::vector<fiber> fibers;
  ucontext_t main_context;
  unsigned live = 0, block_arrived = 0;
  std::vector<unsigned> warp_live, warp_arrived;
  std::vector<std::array<uint64_t, kWarp>> warp_slots;
  std::string error;
  // ASan's view of the scheduler's stack (learnt on the first switch into a fiber).
  const void* main_stack_bottom = nullptr;
  size_t main_stack_size = 0;
};

thread_local block_state* t_block = nullptr;
thread_local unsigned t_thread = 0;       // linear thread index within the block
// Fiber stacks, reused by every launch on this OS thread, unmapped when it exits.
struct stack_pool {
  std::vector<void*> stacks;
  ~stack_pool() {
    for (void* p : stacks) ::munmap(p, kStackBytes);
  }
  void* operator[](size_t i) const { return stacks[i]; }
};
thread_local stack_pool t_stacks;

void* stack_for(unsigned i) {
  while (t_stacks.stacks.size() <= i) {
    void* p = ::mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("SIMT emulator: cannot map a fiber stack");
    t_stacks.stacks.push_back(p);
  }
  return t_stacks[i];
}

// Context switches, annotated for AddressSanitizer (it must know which stack is live).
void switch_to_fiber(block_state& s, unsigned i) {
#ifdef BP_EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, t_stacks[i], kStackBytes);
  ::swapcontext(&s.main_context, &s.fibers[i].context);
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
  ::swapcontext(&s.main_context, &s.fibers[i].context);
#endif
}

void switch_to_scheduler(block_state& s, unsigned i, bool exiting) {
#ifdef BP_EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(exiting ? nullptr : &fake, s.main_stack_bottom, s.main_stack_size);
  ::swapcontext(&s.fibers[i].context, &s.main_context);
  __sanitizer_finish_switch_fiber(fake, &s.main_stack_bottom, &s.main_stack_size);
#else
  (void)exiting;
  ::swapcontext(&s.fibers[i].context, &s.main_context);
#endif
}

void fiber_started(block_state& s) {
#ifdef BP_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &s.main_stack_bottom, &s.main_stack_size);
#else
  (void)s;
#endif
}

void release(block_state& s, wait_kind kind, unsigned warp) {
  for (unsigned t = 0; t < s.threads; ++t) {
    fiber& f = s.fibers[t];
    if (f.wait == kind && (kind == AT_BLOCK_BARRIER || t / kWarp == warp)) f.wait = NOT_WAITING;
  }
  if (kind == AT_BLOCK_BARRIER)
    s.block_arrived = 0;
  else
    s.warp_arrived[warp] = 0;
}

void try_release_block(block_state& s) {
  if (s.block_arrived > 0 && s.block_arrived == s.live) release(s, AT_BLOCK_BARRIER, 0);
}

void fiber_entry() {
  block_state& s = *t_block;
  const unsigned me = t_thread;
  fiber_started(s);
  (*s.body)();
  s.fibers[me].done = true;
  --s.live;
  const unsigned warp = me / kWarp;
  --s.warp_live[warp];
  if (s.warp_arrived[warp] > 0 && s.error.empty())
    s.error = "thread " + std::to_string(me) + " of block " + std::to_string(s.index.x) +
              " exited while its warp waits in __shfl_xor_sync (undefined on a GPU)";
  try_release_block(s);
  switch_to_scheduler(s, me, true);
}

block_state& current(const char* what) {
  if (!t_block) throw std::logic_error(std::string("SIMT emulator: ") + what + " outside a kernel");
  return *t_block;
}

void wait_at(block_state& s, wait_kind kind) {
  if (!s.cooperative)
    throw std::logic_error(
        "SIMT emulator: a kernel registered as non-cooperative reached a barrier (__syncthreads or a warp "
        "shuffle); register it with cooperative = true in emu_kernels.cpp");
  const unsigned me = t_thread, warp = me / kWarp;
  s.fibers[me].wait = kind;
  if (kind == AT_BLOCK_BARRIER) {
    ++s.block_arrived;
    try_release_block(s);
  } else if (++s.warp_arrived[warp] == s.warp_live[warp]) {
    release(s, AT_WARP_BARRIER, warp);
  }
  while (s.fibers[me].wait != NOT_WAITING) switch_to_scheduler(s, me, false);
}

std::string run_block(block_state& s) {
  if (!s.cooperative) {
    for (unsigned t = 0; t < s.threads; ++t) {
      t_thread = t;
      (*s.body)();
    }
    return {};
  }
  s.fibers.assign(s.threads, fiber{});
  s.live = s.threads;
  s.block_arrived = 0;
  const unsigned warps = (s.threads + kWarp - 1) / kWarp;
  s.warp_live.assign(warps, 0);
  s.warp_arrived.assign(warps, 0);
  s.warp_slots.assign(warps, {});
  for (unsigned t = 0; t < s.threads; ++t) {
    ++s.warp_live[t / kWarp];
    fiber& f = s.fibers[t];
    ::getcontext(&f.context);
    f.context.uc_stack.ss_sp = stack_for(t);
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = nullptr;
    ::makecontext(&f.context, fiber_entry, 0);
  }
  while (s.live > 0) {
    bool ran = false;
    for (unsigned t = 0; t < s.threads; ++t) {
      if (s.fibers[t].done || s.fibers[t].wait != NOT_WAITING) continue;
      t_thread = t;
      switch_to_fiber(s, t);
      ran = true;
    }
    if (!s.error.empty()) return s.error;
    if (!ran)
      return "deadlock in block " + std::to_string(s.index.x) + ": " + std::to_string(s.live) +
             " live threads all wait at barriers that cannot complete";
  }
  return {};
}

}  // namespace

dim3v thread_idx() {
  const block_state& s = current("threadIdx");
  dim3v d;
  d.x = t_thread % s.block.x;
  d.y = (t_thread / s.block.x) % s.block.y;
  d.z = t_thread / (s.block.x * s.block.y);
  return d;
}
dim3v block_idx() { return current("blockIdx").index; }
dim3v block_dim() { return current("blockDim").block; }
dim3v grid_dim() { return current("gridDim").grid; }

void sync_block() {
  block_state& s = current("__syncthreads");
  wait_at(s, AT_BLOCK_BARRIER);
}

void sync_warp() {
  block_state& s = current("__shfl_xor_sync");
  wait_at(s, AT_WARP_BARRIER);
}

unsigned lane_id() { return t_thread % kWarp; }

void* warp_slot(unsigned lane) {
  block_state& s = current("__shfl_xor_sync");
  return &s.warp_slots[t_thread / kWarp][lane % kWarp];
}

std::string run_grid(dim3v grid, dim3v block, bool cooperative, const std::function<void()>& body) {
  block_state s;
  s.grid = grid;
  s.block = block;
  s.threads = block.x * block.y * block.z;
  s.cooperative = cooperative;
  s.body = &body;
  block_state* outer = t_block;
  t_block = &s;
  std::string error;
  try {
    for (unsigned z = 0; z < grid.z && error.empty(); ++z)
      for (unsigned y = 0; y < grid.y && error.empty(); ++y)
        for (unsigned x = 0; x < grid.x && error.empty(); ++x) {
          s.index = dim3v{x, y, z};
          error = run_block(s);
        }
  } catch (const std::exception& e) {
    error = e.what();
  }
  t_block = outer;
  return error;
}

}  // namespace bp_emu::simt
