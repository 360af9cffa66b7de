// plugin.cpp — the template plugin's entry symbol and function table.
//
// Copy this folder to start a plugin. The rules it follows (docs/abi.md):
//   - export exactly one C symbol, bp_plugin_get_api, returning a static table;
//   - call the core only through the bp_host_api it hands us (never link it);
//   - every table member is wrapped in bp::sdk::guard(): no C++ exception ever
//     crosses the C ABI, each failure becomes a status plus a message
//     (host->set_error) that names what was wrong;
//   - op_supports() tells the truth: it says yes only for what op_execute()
//     computes correctly, and gives a reason for every no.
//
// Device model: an "accelerator simulated in host memory". The table says
// device_kind OTHER (not CPU), which makes the core treat it like a GPU
// backend: ops it declines run on the CPU plugin through per-op fallback.
// Its memory is ordinary host memory (device type BP_DEVICE_CPU), so DLPack
// and bp_tensor_import can hand it host buffers without a copy.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backplane/sdk/op_check.hpp"
#include "backplane/sdk/plugin.hpp"
#include "ops.hpp"

namespace template_plugin {
namespace {

using bp::sdk::fail;
using bp::sdk::guard;

constexpr const char* kName = "template";
constexpr const char* kVersion = "0.1.0";
constexpr uint64_t kAlignment = 64;  // the ABI promises 64-byte aligned allocations

// Everything init() creates. This plugin needs no state, but a real one keeps
// its handles (vendor context, streams, workspace) here.
struct context {
  uint64_t allocations = 0;
};

void check_device(uint32_t device, const char* call) {
  if (device != 0)
    fail(BP_ERR_NOT_FOUND, std::string("template ") + call + ": device " + std::to_string(device) +
                               " does not exist (this plugin has device 0 only)");
}

bp_status probe(const bp_host_api* host) {
  return guard("template probe", [&] {
    bp::sdk::set_host(host);
    // A real accelerator plugin checks its driver and libraries here, without
    // creating device resources, and reports each one with report_dependency.
    if (BP_SDK_HOST_HAS(host, report_probe)) {
      bp_probe_result result{};
      result.struct_size = sizeof result;
      result.state = BP_STATE_READY;
      result.cause = BP_CAUSE_NONE;
      result.device_count = 1;
      result.message = "simulated accelerator in host memory (template plugin)";
      result.remedy = "";
      host->report_probe(host->host_context, &result);
    }
  });
}

bp_status init(const bp_host_api* host, void** out) {
  return guard("template init", [&] {
    if (!out) fail(BP_ERR_INVALID_ARGUMENT, "template init: context (out) is NULL");
    bp::sdk::set_host(host);
    *out = new context;
  });
}

void shutdown(void* ctx) {
  guard("template shutdown", [&] { delete static_cast<context*>(ctx); });
}

bp_status device_count(void*, uint32_t* count) {
  return guard("template device_count", [&] {
    if (!count) fail(BP_ERR_INVALID_ARGUMENT, "template device_count: count is NULL");
    *count = 1;
  });
}

bp_status device_props(void*, uint32_t index, bp_device_props* props) {
  return guard("template device_props", [&] {
    check_device(index, "device_props");
    if (!props) fail(BP_ERR_INVALID_ARGUMENT, "template device_props: props is NULL");
    if (props->struct_size < offsetof(bp_device_props, name))
      fail(BP_ERR_INVALID_ARGUMENT, "template device_props: props->struct_size " + std::to_string(props->struct_size) +
                                        " is too small");
    // Fill a full local copy, then hand back only as much as the caller's struct holds
    // (an older core passes a smaller struct_size).
    bp_device_props p{};
    p.struct_size = props->struct_size < sizeof p ? props->struct_size : uint32_t(sizeof p);
    p.kind = BP_DEVICE_KIND_OTHER;
    p.device = bp_device{BP_DEVICE_CPU, 0};
    bp::sdk::copy_string(p.name, sizeof p.name, "Template accelerator (simulated in host memory)");
    bp::sdk::copy_string(p.capability, sizeof p.capability, "gemm relu add");
    p.threads = 1;
    std::memcpy(props, &p, p.struct_size);
  });
}

bp_status mem_alloc(void* ctx, uint32_t device, uint64_t bytes, void** ptr) {
  return guard("template mem_alloc", [&] {
    check_device(device, "mem_alloc");
    if (!ptr) fail(BP_ERR_INVALID_ARGUMENT, "template mem_alloc: ptr is NULL");
    *ptr = nullptr;
    if (bytes > UINT64_MAX - kAlignment)
      fail(BP_ERR_OUT_OF_MEMORY, "template mem_alloc: " + std::to_string(bytes) + " bytes is too large");
    // aligned_alloc wants a multiple of the alignment; 0 bytes still gets a unique block.
    const uint64_t rounded = bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment;
    void* p = rounded > SIZE_MAX ? nullptr : std::aligned_alloc(kAlignment, size_t(rounded));
    if (!p) fail(BP_ERR_OUT_OF_MEMORY, "template mem_alloc: cannot allocate " + std::to_string(bytes) + " bytes");
    if (ctx) ++static_cast<context*>(ctx)->allocations;
    *ptr = p;
  });
}

bp_status mem_free(void*, uint32_t device, void* ptr) {
  return guard("template mem_free", [&] {
    check_device(device, "mem_free");
    std::free(ptr);
  });
}

bp_status mem_copy(void*, uint32_t device, bp_stream_t, void* dst, const void* src, uint64_t bytes,
                   bp_memcpy_kind kind) {
  return guard("template mem_copy", [&] {
    check_device(device, "mem_copy");
    if (kind != BP_MEMCPY_HOST_TO_DEVICE && kind != BP_MEMCPY_DEVICE_TO_HOST && kind != BP_MEMCPY_DEVICE_TO_DEVICE)
      fail(BP_ERR_INVALID_ARGUMENT, "template mem_copy: unknown copy kind " + std::to_string(kind));
    if (bytes == 0) return;
    if (!dst || !src) fail(BP_ERR_INVALID_ARGUMENT, "template mem_copy: NULL pointer for " + std::to_string(bytes) + " bytes");
    std::memmove(dst, src, size_t(bytes));
  });
}

// Every op completes before op_execute returns, so the default stream is the
// only one (stream_create/stream_destroy are optional and left NULL).
bp_status stream_synchronize(void*, uint32_t device, bp_stream_t) {
  return guard("template stream_synchronize", [&] { check_device(device, "stream_synchronize"); });
}

bp_status op_supports(void*, uint32_t device, const bp_op_desc* op, char* reason, uint64_t reason_size) {
  return guard("template op_supports", [&]() -> bp_status {
    bp::sdk::copy_string(reason, reason_size, "");
    check_device(device, "op_supports");
    if (!op) fail(BP_ERR_INVALID_ARGUMENT, "template op_supports: op is NULL");
    // The shared validator first (shapes, dtypes, attribute ranges), then our own limits.
    std::string why;
    bp_status status = bp::sdk::check_op(*op, /*require_data=*/false, &why);
    if (status == BP_OK) status = op_supported(*op, &why);
    if (status != BP_OK) {
      bp::sdk::copy_string(reason, reason_size, why);
      bp::sdk::report_error(status, why.c_str());
    }
    return status;
  });
}

bp_status op_execute(void*, uint32_t device, bp_stream_t, const bp_op_desc* op) {
  return guard("template op_execute", [&] {
    check_device(device, "op_execute");
    if (!op) fail(BP_ERR_INVALID_ARGUMENT, "template op_execute: op is NULL");
    // The core validated already; checking again is cheap and keeps a host
    // that calls the table directly (the conformance kit does) from crashing us.
    std::string why;
    bp_status status = bp::sdk::check_op(*op, /*require_data=*/true, &why);
    if (status == BP_OK) status = op_supported(*op, &why);
    if (status != BP_OK) fail(status, "template op_execute: " + why);
    op_run(*op);
  });
}

}  // namespace
}  // namespace template_plugin

// The one exported symbol. It must not throw or allocate device resources.
extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
  using namespace template_plugin;
  bp::sdk::set_host(host);
  static const bp_plugin_api api = {
      /* .struct_size = */ sizeof(bp_plugin_api),
      /* .abi_major = */ BP_ABI_VERSION_MAJOR,
      /* .abi_minor = */ BP_ABI_VERSION_MINOR,
      /* .priority = */ 60,  // preferred over openblas-cpu (10) when both are present
      /* .name = */ kName,
      /* .version = */ kVersion,
      /* .description = */ "Template third-party plugin: GEMM, ReLU and ADD on a simulated accelerator",
      /* .device_kind = */ BP_DEVICE_KIND_OTHER,
      /* .probe = */ probe,
      /* .init = */ init,
      /* .shutdown = */ shutdown,
      /* .device_count = */ device_count,
      /* .device_props = */ device_props,
      /* .mem_alloc = */ mem_alloc,
      /* .mem_free = */ mem_free,
      /* .mem_copy = */ mem_copy,
      /* .stream_create = */ nullptr,
      /* .stream_destroy = */ nullptr,
      /* .stream_synchronize = */ stream_synchronize,
      /* .op_supports = */ op_supports,
      /* .op_execute = */ op_execute,
  };
  return &api;
}
