// fake_plugin.cpp — ONE source for every fake plugin the loader tests use
// (Vulkan-Loader's test-ICD pattern). Compile definitions choose behaviour:
//   FAKE_NAME "x"            plugin name (default "fake")
//   FAKE_PRIORITY n          priority (default 50)
//   FAKE_GPU                 claim to serve GPU devices (memory is still host memory)
//   FAKE_ABI_MAJOR n         ABI major reported (default BP_ABI_VERSION_MAJOR)
//   FAKE_ABI_MINOR n         ABI minor reported (default BP_ABI_VERSION_MINOR)
//   FAKE_NEWER_TABLE         table is larger than this core's (a newer minor with unknown members)
//   FAKE_NO_ENTRY            export no entry symbol
//   FAKE_NULL_TABLE          entry returns NULL (after set_error)
//   FAKE_MISSING_REQUIRED    table lacks op_execute
//   FAKE_PROBE_UNAVAILABLE   probe reports UNAVAILABLE / not_found with one dependency report
//   FAKE_PROBE_NO_DEVICE     probe reports NO_DEVICE
//   FAKE_PROBE_CRASH         probe raises SIGSEGV
//   FAKE_PROBE_ABORT         probe calls abort()
//   FAKE_PROBE_HANG          probe sleeps for 60 s
//   FAKE_PROBE_BAD_SETTING   probe returns BP_ERR_INVALID_ARGUMENT naming a setting (a malformed option)
//   FAKE_INIT_FAILS          init returns BP_ERR_DEVICE with a message
//   FAKE_INIT_THROWS         init throws through a guard (becomes BP_ERR_INTERNAL)
//   FAKE_STATIC_CRASH        a static constructor dereferences NULL (crash at dlopen)
//   FAKE_DECLARED_NAME "x"   the table declares name "x" instead of FAKE_NAME (posing as another plugin)
//   FAKE_DECLARED_NAME_LINE  the table declares a name holding a byte that is not UTF-8, a newline and a fake
//                            verdict line
//   FAKE_ECHO_OPTIONS        probe reports READY with the message "CUDA_PATH=<v>|DEP_SEARCH=<v>|CPU_THREADS=<v>",
//                            each as get_option returned it ("-" when unset)
//   FAKE_DEFERRED_COPY       mem_copy only queues the copy; stream_synchronize runs the queue
//                            (as a GPU may read a host source until then)
//   FAKE_PROBE_BAD_STRUCT_SIZE  probe reports UNAVAILABLE in a bp_probe_result whose struct_size is 4 (unreadable)
//   FAKE_DEVICE_COUNT_THROWS    device_count throws a C++ exception across the C ABI (no guard)
//   FAKE_EXECUTE_THROWS      op_execute (FILL) throws a C++ exception across the C ABI (no guard): the core's
//                            entry guard must turn it into a status and a message
// Every fake supports only FILL (float32) so per-op fallback can be exercised.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>
#include <stdexcept>

#include "backplane/abi.h"
#include "backplane/sdk/plugin.hpp"

#ifndef FAKE_NAME
#define FAKE_NAME "fake"
#endif
#ifndef FAKE_PRIORITY
#define FAKE_PRIORITY 50
#endif
#ifndef FAKE_ABI_MAJOR
#define FAKE_ABI_MAJOR BP_ABI_VERSION_MAJOR
#endif
#ifndef FAKE_ABI_MINOR
#define FAKE_ABI_MINOR BP_ABI_VERSION_MINOR
#endif

namespace {

#ifdef FAKE_STATIC_CRASH
struct crash_at_load {
  crash_at_load() {
    volatile int* p = nullptr;
    *p = 1;
  }
} crash_instance;
#endif

bp_status fake_probe(const bp_host_api* host) {
#if defined(FAKE_PROBE_CRASH)
  std::raise(SIGSEGV);
#elif defined(FAKE_PROBE_ABORT)
  std::abort();
#elif defined(FAKE_PROBE_HANG)
  sleep(60);
#elif defined(FAKE_PROBE_BAD_SETTING)
  host->set_error(host->host_context, BP_ERR_INVALID_ARGUMENT, "BACKPLANE_FAKE_SIZE='abc' is not a size");
  return BP_ERR_INVALID_ARGUMENT;
#endif
  bp_probe_result r{};
  r.struct_size = sizeof r;
#if defined(FAKE_PROBE_UNAVAILABLE)
  bp_search_entry searched[2] = {{sizeof(bp_search_entry), BP_ORIGIN_ENV, "/opt/fake/lib", "not present"},
                                 {sizeof(bp_search_entry), BP_ORIGIN_SYSTEM, "", "libfake.so.1: cannot open shared object file"}};
  bp_dependency_report dep{};
  dep.struct_size = sizeof dep;
  dep.cause = BP_CAUSE_NOT_FOUND;
  dep.name = "Fake vendor library";
  dep.soname = "libfake.so.1";
  dep.loaded_path = "";
  dep.version_found = "";
  dep.version_required = "1.x";
  dep.rule = "same major";
  dep.message = "libfake.so.1 not found";
  dep.remedy = "install libfake1";
  dep.searched = searched;
  dep.num_searched = 2;
  dep.required = 1;
  host->report_dependency(host->host_context, &dep);
  r.state = BP_STATE_UNAVAILABLE;
  r.cause = BP_CAUSE_NOT_FOUND;
  r.message = "libfake.so.1 not found";
  r.remedy = "install libfake1";
#elif defined(FAKE_PROBE_NO_DEVICE)
  r.state = BP_STATE_NO_DEVICE;
  r.cause = BP_CAUSE_NO_DEVICE;
  r.message = "no fake device present";
  r.remedy = "plug in a fake device";
#elif defined(FAKE_PROBE_BAD_STRUCT_SIZE)
  r.state = BP_STATE_UNAVAILABLE;
  r.cause = BP_CAUSE_NOT_FOUND;
  r.message = "libfake.so.1 not found";
  r.struct_size = 4;
#else
  r.state = BP_STATE_READY;
  r.device_count = 1;
  r.message = "ready";
  r.remedy = "";
#endif
#ifdef FAKE_ECHO_OPTIONS
  static std::string echoed;
  echoed.clear();
  for (const char* key : {"CUDA_PATH", "DEP_SEARCH", "CPU_THREADS"}) {
    const char* v = host->get_option(host->host_context, key);
    echoed += std::string(echoed.empty() ? "" : "|") + key + "=" + (v ? v : "-");
  }
  r.message = echoed.c_str();
#endif
  host->report_probe(host->host_context, &r);
  return BP_OK;
}

bp_status fake_init(const bp_host_api*, void** ctx) {
  return bp::sdk::guard("init", [&]() -> bp_status {
#if defined(FAKE_INIT_FAILS)
    bp::sdk::fail(BP_ERR_DEVICE, "fake device refused to initialise (FAKE_INIT_FAILS)");
#elif defined(FAKE_INIT_THROWS)
    throw std::runtime_error("fake init exploded");
#endif
    static int context_token = 0;
    *ctx = &context_token;
    return BP_OK;
  });
}

void fake_shutdown(void*) {}

bp_status fake_device_count(void*, uint32_t* count) {
#ifdef FAKE_DEVICE_COUNT_THROWS
  throw std::runtime_error("fake device_count exploded");
#endif
  *count = 1;
  return BP_OK;
}

bp_status fake_device_props(void*, uint32_t, bp_device_props* p) {
#ifdef FAKE_GPU
  p->kind = BP_DEVICE_KIND_GPU;
  p->device = bp_device{BP_DEVICE_CUDA, 0};
#else
  p->kind = BP_DEVICE_KIND_CPU;
  p->device = bp_device{BP_DEVICE_CPU, 0};
#endif
  std::snprintf(p->name, sizeof p->name, "Fake device of %s", FAKE_NAME);
  std::snprintf(p->capability, sizeof p->capability, "fake");
  return BP_OK;
}

bp_status fake_alloc(void*, uint32_t, uint64_t bytes, void** ptr) {
  *ptr = std::aligned_alloc(64, ((bytes + 63) / 64) * 64 + 64);
  return *ptr ? BP_OK : BP_ERR_OUT_OF_MEMORY;
}
bp_status fake_free(void*, uint32_t, void* ptr) {
  std::free(ptr);
  return BP_OK;
}
#ifdef FAKE_DEFERRED_COPY
struct queued_copy {
  void* dst;
  const void* src;
  uint64_t bytes;
};
std::mutex queue_mutex;
std::vector<queued_copy> queue;

bp_status fake_copy(void*, uint32_t, bp_stream_t, void* dst, const void* src, uint64_t bytes, bp_memcpy_kind) {
  std::lock_guard<std::mutex> lock(queue_mutex);
  queue.push_back({dst, src, bytes});  // the source is read at the next synchronisation
  return BP_OK;
}
bp_status fake_sync(void*, uint32_t, bp_stream_t) {
  std::lock_guard<std::mutex> lock(queue_mutex);
  for (const queued_copy& c : queue) std::memcpy(c.dst, c.src, c.bytes);
  queue.clear();
  return BP_OK;
}
#else
bp_status fake_copy(void*, uint32_t, bp_stream_t, void* dst, const void* src, uint64_t bytes, bp_memcpy_kind) {
  std::memcpy(dst, src, bytes);
  return BP_OK;
}
bp_status fake_sync(void*, uint32_t, bp_stream_t) { return BP_OK; }
#endif

std::atomic<uint64_t> supports_calls{0};  // read by tests through fake_op_supports_calls()

bp_status fake_supports(void*, uint32_t, const bp_op_desc* op, char* reason, uint64_t size) {
  ++supports_calls;
  if (op->kind == BP_OP_FILL) return BP_OK;
  bp::sdk::copy_string(reason, size, std::string("fake plugin '") + FAKE_NAME + "' implements only FILL");
  return BP_ERR_UNSUPPORTED;
}

bp_status fake_execute(void*, uint32_t, bp_stream_t, const bp_op_desc* op) {
#ifdef FAKE_EXECUTE_THROWS
  if (op->kind == BP_OP_FILL) throw std::runtime_error("fake kernel threw (FAKE_EXECUTE_THROWS)");
#endif
  if (op->kind != BP_OP_FILL) {
    bp::sdk::report_error(BP_ERR_UNSUPPORTED, "fake: only FILL");
    return BP_ERR_UNSUPPORTED;
  }
  const auto* a = static_cast<const bp_scalar_attrs*>(op->attrs);
  const bp_tensor& y = op->outputs[0];
  int64_t n = 1;
  for (int i = 0; i < y.ndim; ++i) n *= y.shape[i];
  float* p = reinterpret_cast<float*>(static_cast<char*>(y.data) + y.byte_offset);
  for (int64_t i = 0; i < n; ++i) p[i] = a->value;
  return BP_OK;
}

#ifdef FAKE_NEWER_TABLE
// A plugin from a future minor: the v1.0 table followed by members this core does not know.
struct newer_table {
  bp_plugin_api v1;
  void* future_member_a;
  void* future_member_b;
};
#endif

}  // namespace

// How often the core asked op_supports (the core keeps verdicts per op signature).
extern "C" BP_PLUGIN_EXPORT uint64_t fake_op_supports_calls(void) { return supports_calls.load(); }

#ifndef FAKE_NO_ENTRY
extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
  bp::sdk::set_host(host);
#ifdef FAKE_NULL_TABLE
  bp::sdk::report_error(BP_ERR_UNAVAILABLE, "fake refuses to hand out its table");
  return nullptr;
#endif
  static bp_plugin_api api = [] {
    bp_plugin_api t{};
    t.struct_size = sizeof(bp_plugin_api);
    t.abi_major = FAKE_ABI_MAJOR;
    t.abi_minor = FAKE_ABI_MINOR;
    t.priority = FAKE_PRIORITY;
#if defined(FAKE_DECLARED_NAME)
    t.name = FAKE_DECLARED_NAME;
#elif defined(FAKE_DECLARED_NAME_LINE)
    t.name = "liar\xff\nVerdict: ready";
#else
    t.name = FAKE_NAME;
#endif
    t.version = "0.0.1-fake";
    t.description = "fake plugin for loader tests";
#ifdef FAKE_GPU
    t.device_kind = BP_DEVICE_KIND_GPU;
#else
    t.device_kind = BP_DEVICE_KIND_CPU;
#endif
    t.probe = fake_probe;
    t.init = fake_init;
    t.shutdown = fake_shutdown;
    t.device_count = fake_device_count;
    t.device_props = fake_device_props;
    t.mem_alloc = fake_alloc;
    t.mem_free = fake_free;
    t.mem_copy = fake_copy;
    t.stream_synchronize = fake_sync;
    t.op_supports = fake_supports;
#ifndef FAKE_MISSING_REQUIRED
    t.op_execute = fake_execute;
#endif
    return t;
  }();
#ifdef FAKE_NEWER_TABLE
  static newer_table newer = [] {
    newer_table n{};
    n.v1 = api;
    n.v1.struct_size = sizeof(newer_table);
    n.future_member_a = reinterpret_cast<void*>(0x1);  // would crash if the core touched it
    return n;
  }();
  return &newer.v1;
#else
  return &api;
#endif
}
#endif
