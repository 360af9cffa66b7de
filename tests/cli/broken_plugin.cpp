// broken_plugin.cpp — a well-formed plugin that misbehaves, built several
// times with a different BROKEN_PLUGIN_MODE (Vulkan-loader style test
// drivers): the isolation tests check that `backplane` survives it and still
// tells the truth.
//   BROKEN_PLUGIN_MODE_ABORT:      probe calls abort()          -> probe_crashed (SIGABRT)
//   BROKEN_PLUGIN_MODE_SEGV:       probe raises SIGSEGV         -> probe_crashed (SIGSEGV)
//   BROKEN_PLUGIN_MODE_HANG:       probe sleeps for a minute    -> probe_timeout
// The hostile zoo (tests/cli/hostile-plugins):
//   BROKEN_PLUGIN_MODE_STDOUT:     writes to stdout and stderr at load and probe, otherwise a working backend
//   BROKEN_PLUGIN_MODE_EXIT0:      probe calls _exit(0)         -> the process ends "successfully", no output
//   BROKEN_PLUGIN_MODE_EXIT3:      probe calls exit(3)          -> the process ends with "nothing usable"'s code
//   BROKEN_PLUGIN_MODE_THROW:      the entry symbol throws a C++ exception
//   BROKEN_PLUGIN_MODE_LATE_CRASH: init starts a thread that crashes 150 ms later (a vendor thread)
// Its priority (5) is below the real plugins', so it never becomes the
// preferred backend and the verdict stays that of the real plugins.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "backplane/abi.h"

#ifndef BROKEN_PLUGIN_NAME
#error "define BROKEN_PLUGIN_NAME"
#endif

namespace {

// What a hostile plugin prints where only the tool's results belong.
void print_garbage(const char* when) {
  std::printf("GARBAGE from %s on stdout at %s {not json\n", BROKEN_PLUGIN_NAME, when);
  std::fflush(stdout);
  const char raw[] = "RAW-WRITE-TO-FD-1\n";
  (void)!::write(STDOUT_FILENO, raw, sizeof raw - 1);
  std::fprintf(stderr, "warning from %s: printed at %s\n", BROKEN_PLUGIN_NAME, when);
}

bp_status broken_probe(const bp_host_api*) {
#if defined(BROKEN_PLUGIN_MODE_ABORT)
  std::abort();
#elif defined(BROKEN_PLUGIN_MODE_SEGV)
  ::raise(SIGSEGV);
#elif defined(BROKEN_PLUGIN_MODE_HANG)
  for (int i = 0; i < 60; ++i) ::sleep(1);  // a driver call that never returns, as far as the tool can tell
#elif defined(BROKEN_PLUGIN_MODE_STDOUT)
  print_garbage("probe");
#elif defined(BROKEN_PLUGIN_MODE_EXIT0)
  ::_exit(0);
#elif defined(BROKEN_PLUGIN_MODE_EXIT3)
  std::exit(3);
#elif defined(BROKEN_PLUGIN_MODE_THROW) || defined(BROKEN_PLUGIN_MODE_LATE_CRASH)
#else
#error "define one BROKEN_PLUGIN_MODE_*"
#endif
  return BP_OK;  // reporting nothing but OK: ready
}

// The working modes are a tiny host-memory backend; the others never get here.
bp_status broken_init(const bp_host_api*, void** context) {
  *context = nullptr;
#if defined(BROKEN_PLUGIN_MODE_LATE_CRASH)
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ::raise(SIGSEGV);  // a vendor thread that dies shortly after init
  }).detach();
  return BP_OK;
#elif defined(BROKEN_PLUGIN_MODE_STDOUT)
  print_garbage("init");
  return BP_OK;
#else
  return BP_ERR_UNAVAILABLE;
#endif
}
void broken_shutdown(void*) {}
bp_status broken_device_count(void*, uint32_t* count) {
  *count = 1;
  return BP_OK;
}
bp_status broken_device_props(void*, uint32_t, bp_device_props* props) {
  std::snprintf(props->name, sizeof props->name, "%s host memory", BROKEN_PLUGIN_NAME);
  props->kind = BP_DEVICE_KIND_CPU;
  props->device = {BP_DEVICE_CPU, 0};
  return BP_OK;
}
bp_status broken_mem_alloc(void*, uint32_t, uint64_t bytes, void** out) {
  *out = std::malloc(bytes ? bytes : 1);
  return *out ? BP_OK : BP_ERR_OUT_OF_MEMORY;
}
bp_status broken_mem_free(void*, uint32_t, void* ptr) {
  std::free(ptr);
  return BP_OK;
}
bp_status broken_mem_copy(void*, uint32_t, bp_stream_t, void* dst, const void* src, uint64_t bytes, bp_memcpy_kind) {
  std::memcpy(dst, src, bytes);
  return BP_OK;
}
bp_status broken_stream_synchronize(void*, uint32_t, bp_stream_t) { return BP_OK; }
bp_status broken_op_supports(void*, uint32_t, const bp_op_desc*, char*, uint64_t) { return BP_ERR_UNSUPPORTED; }
bp_status broken_op_execute(void*, uint32_t, bp_stream_t, const bp_op_desc*) { return BP_ERR_UNSUPPORTED; }

const bp_plugin_api kApi = {
    /* .struct_size = */ sizeof(bp_plugin_api),
    /* .abi_major = */ BP_ABI_VERSION_MAJOR,
    /* .abi_minor = */ BP_ABI_VERSION_MINOR,
    /* .priority = */ 5,
    /* .name = */ BROKEN_PLUGIN_NAME,
    /* .version = */ "0.0.1",
    /* .description = */ "test plugin that misbehaves (tests/cli)",
    /* .device_kind = */ BP_DEVICE_KIND_CPU,
    /* .probe = */ broken_probe,
    /* .init = */ broken_init,
    /* .shutdown = */ broken_shutdown,
    /* .device_count = */ broken_device_count,
    /* .device_props = */ broken_device_props,
    /* .mem_alloc = */ broken_mem_alloc,
    /* .mem_free = */ broken_mem_free,
    /* .mem_copy = */ broken_mem_copy,
    /* .stream_create = */ nullptr,
    /* .stream_destroy = */ nullptr,
    /* .stream_synchronize = */ broken_stream_synchronize,
    /* .op_supports = */ broken_op_supports,
    /* .op_execute = */ broken_op_execute,
};

}  // namespace

extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api*) {
#if defined(BROKEN_PLUGIN_MODE_THROW)
  throw std::runtime_error("entry symbol of " BROKEN_PLUGIN_NAME " throws");
#elif defined(BROKEN_PLUGIN_MODE_STDOUT)
  print_garbage("load");
#endif
  return &kApi;
}
