// broken_plugin.cpp — a well-formed plugin whose probe misbehaves, built
// several times with a different BROKEN_PLUGIN_MODE (Vulkan-loader style test
// drivers): the isolation tests check that `backplane doctor` survives it.
//   BROKEN_PLUGIN_MODE_ABORT: probe calls abort()          -> probe_crashed (SIGABRT)
//   BROKEN_PLUGIN_MODE_SEGV:  probe raises SIGSEGV         -> probe_crashed (SIGSEGV)
//   BROKEN_PLUGIN_MODE_HANG:  probe sleeps for a minute    -> probe_timeout
// Its priority (5) is below the real plugins', so it never becomes the
// preferred backend and the verdict stays that of the real plugins.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "backplane/abi.h"

#ifndef BROKEN_PLUGIN_NAME
#error "define BROKEN_PLUGIN_NAME"
#endif

namespace {

bp_status broken_probe(const bp_host_api*) {
#if defined(BROKEN_PLUGIN_MODE_ABORT)
  std::abort();
#elif defined(BROKEN_PLUGIN_MODE_SEGV)
  ::raise(SIGSEGV);
#elif defined(BROKEN_PLUGIN_MODE_HANG)
  for (int i = 0; i < 60; ++i) ::sleep(1);  // a driver call that never returns, as far as the tool can tell
#else
#error "define one BROKEN_PLUGIN_MODE_*"
#endif
  return BP_OK;
}

// Never reached (the probe never reports "ready"); present so the table is complete.
bp_status broken_init(const bp_host_api*, void** context) {
  *context = nullptr;
  return BP_ERR_UNAVAILABLE;
}
void broken_shutdown(void*) {}
bp_status broken_device_count(void*, uint32_t* count) {
  *count = 0;
  return BP_OK;
}
bp_status broken_device_props(void*, uint32_t, bp_device_props*) { return BP_ERR_NOT_FOUND; }
bp_status broken_mem_alloc(void*, uint32_t, uint64_t, void**) { return BP_ERR_UNAVAILABLE; }
bp_status broken_mem_free(void*, uint32_t, void*) { return BP_OK; }
bp_status broken_mem_copy(void*, uint32_t, bp_stream_t, void*, const void*, uint64_t, bp_memcpy_kind) {
  return BP_ERR_UNAVAILABLE;
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
    /* .description = */ "test plugin whose probe misbehaves (tests/cli)",
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

extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api*) { return &kApi; }
