// emu_driver.cpp — a test-only libcuda.so.1 that runs on the CPU: the CUDA
// driver API subset the cudnn plugin calls (plugins/cudnn/src/vendor_api.hpp),
// with the rules of the real driver that a plugin can get wrong:
//   - cuInit first; a current context for memory, streams, modules, launches;
//     a primary context released to zero references is gone (with its memory);
//   - "device" memory is host memory handed out by cuMemAlloc, filled with
//     0xFF bytes (NaN as float) so uninitialised reads show; copies, memsets,
//     kernels and the emulated cuBLAS/cuDNN check that device pointers point
//     into live allocations;
//   - work on a stream is DEFERRED until cuStreamSynchronize/cuCtxSynchronize
//     (or an implicitly synchronising call: cuMemFree, cuStreamDestroy): a
//     plugin that reads results without synchronising reads stale memory;
//   - kernels: the plugin's embedded fatbin must be what cuModuleLoadData gets
//     (magic checked); cuModuleGetFunction finds the plugin's kernels, compiled
//     for the CPU (emu_kernels.cpp); arguments are copied at launch;
//   - a failed kernel is a sticky error, as on a GPU.
// Knobs: BP_EMU_DEVICES (default 1), BP_EMU_DEVICE_MEMORY (bytes, default
// 8 GiB), BP_EMU_DRIVER_VERSION (default 13000), BP_EMU_TRACE=1 (calls to stderr),
// BP_EMU_SKIP_COMPUTE=1 (kernels and cuBLAS/cuDNN work are dropped, copies
// still run: results are garbage, but the time left is the host's own
// overhead per op — core, plugin and driver calls — with the device "free").
#include <cuda.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "emu_hooks.h"
#include "emu_kernels.hpp"
#include "simt_runner.hpp"

#define EMU_EXPORT extern "C" __attribute__((visibility("default")))

struct emu_task {
  bp_emu_task_fn run = nullptr;
  void* context = nullptr;
  bp_emu_task_fn release = nullptr;
  ~emu_task() {
    if (release) release(context);
  }
};

struct CUctx_st {
  int device = 0;
  int refs = 0;
};
struct CUmod_st {
  int unused = 0;
};
struct CUfunc_st {
  const bp_emu::kernel_info* kernel = nullptr;
};
struct CUstream_st {
  std::deque<std::unique_ptr<emu_task>> queue;
  std::mutex running;  // one drainer at a time keeps the stream's order
};

namespace {

long long env_number(const char* name, long long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

struct driver_state {
  std::mutex mutex;
  bool initialized = false;
  int devices = int(env_number("BP_EMU_DEVICES", 1));
  uint64_t device_memory = uint64_t(env_number("BP_EMU_DEVICE_MEMORY", 8LL << 30));
  std::vector<CUctx_st> contexts = std::vector<CUctx_st>(size_t(devices > 0 ? devices : 0));
  std::vector<uint64_t> used = std::vector<uint64_t>(size_t(devices > 0 ? devices : 0), 0);
  struct block {
    uint64_t size;
    int device;
  };
  std::map<uintptr_t, block> allocations;
  std::set<CUstream> streams;
  CUstream_st legacy_stream;  // the NULL stream
  std::set<CUmodule> modules;
  std::map<std::string, std::unique_ptr<CUfunc_st>> functions;
  CUresult sticky = CUDA_SUCCESS;
  std::string sticky_message;
  std::map<std::string, uint64_t> counters;  // bp_emu_counter()
};

driver_state& state() {
  static driver_state* s = new driver_state;  // never destroyed: tasks may run during exit
  return *s;
}

thread_local CUcontext t_current = nullptr;

void count_call(const char* what) {
  std::lock_guard<std::mutex> lock(state().mutex);
  ++state().counters[what];
}

bool trace() {
  static const bool on = env_number("BP_EMU_TRACE", 0) != 0;
  return on;
}

CUresult fail(CUresult r, const std::string& why) {
  std::fprintf(stderr, "[emulated libcuda] %s\n", why.c_str());
  return r;
}

// Caller holds the mutex.
bool device_range(const driver_state& s, uintptr_t p, uint64_t bytes) {
  auto it = s.allocations.upper_bound(p);
  if (it == s.allocations.begin()) return false;
  --it;
  return p >= it->first && p - it->first + (bytes ? bytes : 1) <= it->second.size;
}

CUresult need_context(const char* call) {
  driver_state& s = state();
  if (!s.initialized) return fail(CUDA_ERROR_NOT_INITIALIZED, std::string(call) + ": cuInit was not called");
  if (!t_current) return fail(CUDA_ERROR_INVALID_CONTEXT, std::string(call) + ": no current context on this thread");
  if (t_current->refs <= 0)
    return fail(CUDA_ERROR_CONTEXT_IS_DESTROYED, std::string(call) + ": the current context was destroyed");
  return CUDA_SUCCESS;
}

CUstream_st* resolve_stream(driver_state& s, CUstream h) {
  if (!h) return &s.legacy_stream;
  return s.streams.count(h) ? h : nullptr;
}

// Runs a stream's queued work in order (in the calling thread).
void drain(CUstream_st* stream) {
  std::lock_guard<std::mutex> order(stream->running);
  for (;;) {
    std::unique_ptr<emu_task> task;
    {
      std::lock_guard<std::mutex> lock(state().mutex);
      if (stream->queue.empty()) return;
      task = std::move(stream->queue.front());
      stream->queue.pop_front();
    }
    task->run(task->context);
  }
}

void drain_all() {
  std::vector<CUstream_st*> all;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    all.push_back(&state().legacy_stream);
    all.insert(all.end(), state().streams.begin(), state().streams.end());
  }
  for (CUstream_st* st : all) drain(st);
}

CUresult sticky_or_success() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().sticky;
}

int enqueue_locked(driver_state& s, CUstream h, bp_emu_task_fn run, void* context, bp_emu_task_fn release) {
  CUstream_st* st = resolve_stream(s, h);
  if (!st) return 1;
  auto task = std::make_unique<emu_task>();
  task->run = run, task->context = context, task->release = release;
  st->queue.push_back(std::move(task));
  return 0;
}

template <typename F>
CUresult enqueue_lambda(driver_state& s, CUstream h, F&& f, const char* call) {
  using fn_t = std::decay_t<F>;
  auto* heap = new fn_t(std::forward<F>(f));
  if (enqueue_locked(s, h, [](void* c) { (*static_cast<fn_t*>(c))(); }, heap,
                     [](void* c) { delete static_cast<fn_t*>(c); }) != 0) {
    delete heap;
    return fail(CUDA_ERROR_INVALID_HANDLE, std::string(call) + ": unknown stream");
  }
  return CUDA_SUCCESS;
}

}  // namespace

static bool skip_compute() {
  static const bool on = env_number("BP_EMU_SKIP_COMPUTE", 0) != 0;
  return on;
}

// ---- hooks for the emulated cuBLAS / cuDNN (emu_hooks.h) ----------------------
extern "C" int bp_emu_enqueue(void* stream, bp_emu_task_fn run, void* context, bp_emu_task_fn release) {
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (skip_compute()) {  // validated by the caller already; the work itself is dropped
    if (!resolve_stream(s, static_cast<CUstream>(stream))) return 1;
    if (release) release(context);
    return 0;
  }
  return enqueue_locked(s, static_cast<CUstream>(stream), run, context, release);
}

extern "C" uint64_t bp_emu_counter(const char* what) {
  if (!what) return 0;
  std::lock_guard<std::mutex> lock(state().mutex);
  auto it = state().counters.find(what);
  return it == state().counters.end() ? 0 : it->second;
}

extern "C" int bp_emu_is_device_range(const void* ptr, uint64_t bytes) {
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return device_range(s, reinterpret_cast<uintptr_t>(ptr), bytes) ? 1 : 0;
}

// ---- initialisation, versions, errors -------------------------------------------
EMU_EXPORT CUresult cuInit(unsigned int flags) {
  if (flags != 0) return fail(CUDA_ERROR_INVALID_VALUE, "cuInit: flags must be 0");
  std::lock_guard<std::mutex> lock(state().mutex);
  state().initialized = true;
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDriverGetVersion(int* version) {
  if (!version) return CUDA_ERROR_INVALID_VALUE;
  *version = int(env_number("BP_EMU_DRIVER_VERSION", 13000));
  return CUDA_SUCCESS;
}

// ---- devices and contexts ----------------------------------------------------------
EMU_EXPORT CUresult cuDeviceGetCount(int* count) {
  if (!count) return CUDA_ERROR_INVALID_VALUE;
  if (!state().initialized) return CUDA_ERROR_NOT_INITIALIZED;
  *count = state().devices;
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  if (!device) return CUDA_ERROR_INVALID_VALUE;
  if (!state().initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (ordinal < 0 || ordinal >= state().devices) return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

namespace {
CUresult check_device(CUdevice d) {
  if (!state().initialized) return CUDA_ERROR_NOT_INITIALIZED;
  return d >= 0 && d < state().devices ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}
}  // namespace

EMU_EXPORT CUresult cuDeviceGetName(char* name, int len, CUdevice device) {
  if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  if (CUresult r = check_device(device)) return r;
  std::snprintf(name, size_t(len), "Backplane SIMT emulator (CPU) #%d", int(device));
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceGetAttribute(int* value, CUdevice_attribute attribute, CUdevice device) {
  if (!value) return CUDA_ERROR_INVALID_VALUE;
  if (CUresult r = check_device(device)) return r;
  switch (attribute) {
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = 9; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = 0; break;
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *value = 1; break;
    case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *value = 32; break;
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = 1024; break;
    default:
      if (attribute <= 0 || attribute >= CU_DEVICE_ATTRIBUTE_MAX) return CUDA_ERROR_INVALID_VALUE;
      *value = 0;
  }
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDeviceTotalMem(size_t* bytes, CUdevice device) {
  if (!bytes) return CUDA_ERROR_INVALID_VALUE;
  if (CUresult r = check_device(device)) return r;
  *bytes = state().device_memory;
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext* context, CUdevice device) {
  if (!context) return CUDA_ERROR_INVALID_VALUE;
  if (CUresult r = check_device(device)) return r;
  std::lock_guard<std::mutex> lock(state().mutex);
  CUctx_st& c = state().contexts[size_t(device)];
  c.device = device;
  ++c.refs;
  *context = &c;
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDevicePrimaryCtxRelease(CUdevice device) {
  if (CUresult r = check_device(device)) return r;
  drain_all();
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  CUctx_st& c = s.contexts[size_t(device)];
  if (c.refs <= 0) return fail(CUDA_ERROR_INVALID_CONTEXT, "cuDevicePrimaryCtxRelease: not retained");
  if (--c.refs == 0) {  // the primary context is destroyed, and its memory with it
    for (auto it = s.allocations.begin(); it != s.allocations.end();) {
      if (it->second.device != device) {
        ++it;
        continue;
      }
      std::free(reinterpret_cast<void*>(it->first));
      s.used[size_t(device)] -= it->second.size;
      it = s.allocations.erase(it);
    }
  }
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxSetCurrent(CUcontext context) {
  if (!state().initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (context) {
    std::lock_guard<std::mutex> lock(state().mutex);
    bool known = false;
    for (auto& c : state().contexts) known = known || (&c == context);
    if (!known) return fail(CUDA_ERROR_INVALID_CONTEXT, "cuCtxSetCurrent: not a context of this driver");
    if (context->refs <= 0)
      return fail(CUDA_ERROR_CONTEXT_IS_DESTROYED, "cuCtxSetCurrent: the primary context was released");
  }
  t_current = context;
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxSynchronize(void) {
  count_call("ctx_sync");
  if (CUresult r = need_context("cuCtxSynchronize")) return r;
  drain_all();
  return sticky_or_success();
}

// ---- memory ------------------------------------------------------------------------
EMU_EXPORT CUresult cuMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  if (!free_bytes || !total_bytes) return CUDA_ERROR_INVALID_VALUE;
  if (CUresult r = need_context("cuMemGetInfo")) return r;
  std::lock_guard<std::mutex> lock(state().mutex);
  *total_bytes = state().device_memory;
  *free_bytes = state().device_memory - state().used[size_t(t_current->device)];
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuMemAlloc(CUdeviceptr* ptr, size_t bytes) {
  count_call("mem_alloc");
  if (!ptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  if (CUresult r = need_context("cuMemAlloc")) return r;
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  uint64_t& used = s.used[size_t(t_current->device)];
  if (bytes > s.device_memory - used) return CUDA_ERROR_OUT_OF_MEMORY;
  // Exactly `bytes` (256-byte aligned like cudaMalloc): under AddressSanitizer a
  // kernel or library reading one element past a buffer is reported.
  void* p = nullptr;
  if (::posix_memalign(&p, 256, bytes) != 0 || !p) return CUDA_ERROR_OUT_OF_MEMORY;
  std::memset(p, 0xFF, bytes);  // NaN as float: reads of unwritten memory show
  s.allocations[reinterpret_cast<uintptr_t>(p)] = {bytes, t_current->device};
  used += bytes;
  *ptr = reinterpret_cast<CUdeviceptr>(p);
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuMemFree(CUdeviceptr ptr) {
  count_call("mem_free");
  if (CUresult r = need_context("cuMemFree")) return r;
  drain_all();  // cuMemFree synchronises: queued work may still use the block
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.allocations.find(uintptr_t(ptr));
  if (it == s.allocations.end())
    return fail(CUDA_ERROR_INVALID_VALUE, "cuMemFree: not the start of a live allocation");
  s.used[size_t(it->second.device)] -= it->second.size;
  std::free(reinterpret_cast<void*>(it->first));
  s.allocations.erase(it);
  return CUDA_SUCCESS;
}

namespace {
std::string hex(uintptr_t p) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(p));
  return b;
}
}  // namespace

EMU_EXPORT CUresult cuMemcpyHtoDAsync(CUdeviceptr dst, const void* src, size_t bytes, CUstream stream) {
  count_call("h2d");
  if (CUresult r = need_context("cuMemcpyHtoDAsync")) return r;
  if (bytes == 0) return CUDA_SUCCESS;
  if (!src) return fail(CUDA_ERROR_INVALID_VALUE, "cuMemcpyHtoDAsync: NULL source");
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!device_range(s, uintptr_t(dst), bytes))
    return fail(CUDA_ERROR_INVALID_VALUE, "cuMemcpyHtoDAsync: destination " + hex(uintptr_t(dst)) + " + " +
                                              std::to_string(bytes) + " bytes is not device memory");
  // Pageable source: staged now (the caller may reuse it on return), written in stream order.
  auto staged = std::make_shared<std::vector<unsigned char>>(static_cast<const unsigned char*>(src),
                                                             static_cast<const unsigned char*>(src) + bytes);
  return enqueue_lambda(s, stream, [dst, staged] { std::memcpy(reinterpret_cast<void*>(dst), staged->data(), staged->size()); },
                        "cuMemcpyHtoDAsync");
}

EMU_EXPORT CUresult cuMemcpyDtoHAsync(void* dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  count_call("d2h");
  if (CUresult r = need_context("cuMemcpyDtoHAsync")) return r;
  if (bytes == 0) return CUDA_SUCCESS;
  if (!dst) return fail(CUDA_ERROR_INVALID_VALUE, "cuMemcpyDtoHAsync: NULL destination");
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!device_range(s, uintptr_t(src), bytes))
    return fail(CUDA_ERROR_INVALID_VALUE, "cuMemcpyDtoHAsync: source " + hex(uintptr_t(src)) + " + " +
                                              std::to_string(bytes) + " bytes is not device memory");
  if (device_range(s, reinterpret_cast<uintptr_t>(dst), 0))
    return fail(CUDA_ERROR_INVALID_VALUE, "cuMemcpyDtoHAsync: the destination is device memory, not host memory");
  return enqueue_lambda(s, stream, [dst, src, bytes] { std::memcpy(dst, reinterpret_cast<const void*>(src), bytes); },
                        "cuMemcpyDtoHAsync");
}

EMU_EXPORT CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  count_call("d2d");
  if (CUresult r = need_context("cuMemcpyDtoDAsync")) return r;
  if (bytes == 0) return CUDA_SUCCESS;
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!device_range(s, uintptr_t(src), bytes) || !device_range(s, uintptr_t(dst), bytes))
    return fail(CUDA_ERROR_INVALID_VALUE, "cuMemcpyDtoDAsync: source or destination (+" + std::to_string(bytes) +
                                              " bytes) is not device memory");
  return enqueue_lambda(
      s, stream,
      [dst, src, bytes] { std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes); },
      "cuMemcpyDtoDAsync");
}

EMU_EXPORT CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t count, CUstream stream) {
  count_call("memset");
  if (CUresult r = need_context("cuMemsetD32Async")) return r;
  if (count == 0) return CUDA_SUCCESS;
  if (dst % 4 != 0) return fail(CUDA_ERROR_INVALID_VALUE, "cuMemsetD32Async: destination not 4-byte aligned");
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!device_range(s, uintptr_t(dst), uint64_t(count) * 4))
    return fail(CUDA_ERROR_INVALID_VALUE, "cuMemsetD32Async: destination is not device memory of that size");
  return enqueue_lambda(
      s, stream,
      [dst, value, count] {
        auto* p = reinterpret_cast<unsigned int*>(dst);
        for (size_t i = 0; i < count; ++i) p[i] = value;
      },
      "cuMemsetD32Async");
}

// ---- streams ---------------------------------------------------------------------------
EMU_EXPORT CUresult cuStreamCreate(CUstream* stream, unsigned int flags) {
  if (!stream) return CUDA_ERROR_INVALID_VALUE;
  if (flags != CU_STREAM_DEFAULT && flags != CU_STREAM_NON_BLOCKING) return CUDA_ERROR_INVALID_VALUE;
  if (CUresult r = need_context("cuStreamCreate")) return r;
  auto* s = new CUstream_st;
  std::lock_guard<std::mutex> lock(state().mutex);
  state().streams.insert(s);
  *stream = s;
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamDestroy(CUstream stream) {
  if (!stream) return CUDA_ERROR_INVALID_HANDLE;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    if (!state().streams.count(stream)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuStreamDestroy: unknown stream");
  }
  drain(stream);  // queued work still completes, as the driver promises
  std::lock_guard<std::mutex> lock(state().mutex);
  state().streams.erase(stream);
  delete stream;
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamSynchronize(CUstream stream) {
  count_call("stream_sync");
  CUstream_st* st = nullptr;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    st = resolve_stream(state(), stream);
  }
  if (!st) return fail(CUDA_ERROR_INVALID_HANDLE, "cuStreamSynchronize: unknown stream");
  drain(st);
  return sticky_or_success();
}

// ---- modules and kernels -------------------------------------------------------------
EMU_EXPORT CUresult cuModuleLoadData(CUmodule* module, const void* image) {
  if (!module || !image) return CUDA_ERROR_INVALID_VALUE;
  if (CUresult r = need_context("cuModuleLoadData")) return r;
  uint32_t magic = 0;
  std::memcpy(&magic, image, 4);
  if (magic != 0xBA55ED50u)  // fatbin header magic
    return fail(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData: the image is not a fatbin (magic " + hex(magic) + ")");
  auto* m = new CUmod_st;
  std::lock_guard<std::mutex> lock(state().mutex);
  state().modules.insert(m);
  *module = m;
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuModuleUnload(CUmodule module) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().modules.erase(module)) return CUDA_ERROR_INVALID_HANDLE;
  delete module;
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
  if (!function || !name) return CUDA_ERROR_INVALID_VALUE;
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().modules.count(module)) return CUDA_ERROR_INVALID_HANDLE;
  const bp_emu::kernel_info* k = bp_emu::find_kernel(name);
  if (!k) return CUDA_ERROR_NOT_FOUND;
  auto& slot = state().functions[name];
  if (!slot) slot = std::make_unique<CUfunc_st>(CUfunc_st{k});
  *function = slot.get();
  return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                                   unsigned int by, unsigned int bz, unsigned int shared_bytes, CUstream stream,
                                   void** params, void** extra) {
  count_call("launch");
  if (CUresult r = need_context("cuLaunchKernel")) return r;
  if (!f || !f->kernel) return CUDA_ERROR_INVALID_HANDLE;
  const bp_emu::kernel_info& k = *f->kernel;
  const std::string who = "cuLaunchKernel(" + k.name + ")";
  if (extra) return fail(CUDA_ERROR_NOT_SUPPORTED, who + ": the extra argument form is not emulated");
  if (shared_bytes) return fail(CUDA_ERROR_NOT_SUPPORTED, who + ": dynamic shared memory is not emulated");
  if (!gx || !gy || !gz || !bx || !by || !bz || gy > 65535 || gz > 65535 || uint64_t(bx) * by * bz > 1024 ||
      bz > 64)
    return fail(CUDA_ERROR_INVALID_VALUE, who + ": invalid grid or block dimensions");
  if (k.num_params && !params) return fail(CUDA_ERROR_INVALID_VALUE, who + ": kernelParams is NULL");
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    if (state().sticky) return state().sticky;
    for (const void* p : k.pointer_args(params))
      if (p && !device_range(state(), reinterpret_cast<uintptr_t>(p), 0))
        return fail(CUDA_ERROR_INVALID_VALUE, who + ": pointer argument " + hex(reinterpret_cast<uintptr_t>(p)) +
                                                  " is not device memory");
  }
  if (skip_compute()) return CUDA_SUCCESS;  // arguments were checked; the kernel is dropped
  std::function<void()> body = k.bind(params);  // arguments copied now, as the driver does
  const bp_emu::simt::dim3v grid{gx, gy, gz}, block{bx, by, bz};
  const bool cooperative = k.cooperative;
  const std::string name = k.name;
  if (trace())
    std::fprintf(stderr, "[emulated libcuda] launch %s grid %u block %u\n", name.c_str(), gx * gy * gz, bx * by * bz);
  driver_state& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return enqueue_lambda(
      s, stream,
      [body, grid, block, cooperative, name] {
        const std::string error = bp_emu::simt::run_grid(grid, block, cooperative, body);
        if (error.empty()) return;
        fail(CUDA_ERROR_LAUNCH_FAILED, "kernel " + name + " failed: " + error);
        std::lock_guard<std::mutex> relock(state().mutex);
        if (!state().sticky) state().sticky = CUDA_ERROR_LAUNCH_FAILED, state().sticky_message = error;
      },
      "cuLaunchKernel");
}
