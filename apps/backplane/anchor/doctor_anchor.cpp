// doctor_anchor.cpp — "doctor-anchor", a tool-private plugin that is always
// ready with one placeholder device and runs no op.
//
// Why it exists: bp_runtime_create fails when no backend can serve, and its
// error message is prose, so the structured report of exactly the cases the
// doctor must explain (nothing usable; an isolated child probing one broken
// plugin) would be lost. The tool then retries with this plugin appended
// (report_collect.cpp): the runtime is created, the core's full JSON report
// is read, and every trace of the anchor is removed from it before anyone
// sees it. It lives in <libdir>/backplane/tool/, never in a plugin search
// folder, so host applications never load it.
#include <cstring>

#include "backplane/abi.h"

namespace {

bp_status anchor_probe(const bp_host_api*) { return BP_OK; }  // no report => ready (core rule)
bp_status anchor_init(const bp_host_api*, void** context) {
  *context = nullptr;
  return BP_OK;
}
void anchor_shutdown(void*) {}
bp_status anchor_device_count(void*, uint32_t* count) {
  *count = 1;
  return BP_OK;
}
bp_status anchor_device_props(void*, uint32_t index, bp_device_props* props) {
  if (index != 0 || props == nullptr) return BP_ERR_NOT_FOUND;
  props->kind = BP_DEVICE_KIND_OTHER;
  props->device = bp_device{BP_DEVICE_CPU, 0};
  std::strncpy(props->name, "backplane doctor anchor (not a backend)", sizeof props->name - 1);
  return BP_OK;
}
bp_status anchor_mem_alloc(void*, uint32_t, uint64_t, void**) { return BP_ERR_UNSUPPORTED; }
bp_status anchor_mem_free(void*, uint32_t, void*) { return BP_OK; }
bp_status anchor_mem_copy(void*, uint32_t, bp_stream_t, void*, const void*, uint64_t, bp_memcpy_kind) {
  return BP_ERR_UNSUPPORTED;
}
bp_status anchor_stream_synchronize(void*, uint32_t, bp_stream_t) { return BP_OK; }
bp_status anchor_op_supports(void*, uint32_t, const bp_op_desc*, char* reason, uint64_t reason_size) {
  if (reason && reason_size) std::strncpy(reason, "the doctor anchor runs no op", reason_size - 1);
  return BP_ERR_UNSUPPORTED;
}
bp_status anchor_op_execute(void*, uint32_t, bp_stream_t, const bp_op_desc*) { return BP_ERR_UNSUPPORTED; }

const bp_plugin_api kAnchorApi = {
    /* .struct_size = */ sizeof(bp_plugin_api),
    /* .abi_major = */ BP_ABI_VERSION_MAJOR,
    /* .abi_minor = */ BP_ABI_VERSION_MINOR,
    /* .priority = */ -1000000,
    /* .name = */ "doctor-anchor",
    /* .version = */ "1",
    /* .description = */ "backplane tool: lets the doctor read the report when nothing else can serve",
    /* .device_kind = */ BP_DEVICE_KIND_OTHER,
    /* .probe = */ anchor_probe,
    /* .init = */ anchor_init,
    /* .shutdown = */ anchor_shutdown,
    /* .device_count = */ anchor_device_count,
    /* .device_props = */ anchor_device_props,
    /* .mem_alloc = */ anchor_mem_alloc,
    /* .mem_free = */ anchor_mem_free,
    /* .mem_copy = */ anchor_mem_copy,
    /* .stream_create = */ nullptr,
    /* .stream_destroy = */ nullptr,
    /* .stream_synchronize = */ anchor_stream_synchronize,
    /* .op_supports = */ anchor_op_supports,
    /* .op_execute = */ anchor_op_execute,
};

}  // namespace

extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api*) { return &kAnchorApi; }
