// plugin.cpp — the template plugin: its class and the one exported symbol.
//
// Copy this folder to start a plugin. The rules it follows (docs/abi.md,
// docs/plugin-authoring.md):
//   - export exactly one C symbol, bp_plugin_get_api, returning a static table;
//     bp::sdk::plugin_table<> (backplane/sdk/table.hpp) builds it from the
//     class below and wraps every member in bp::sdk::guard(): no C++
//     exception crosses the C ABI, each failure becomes a status plus a
//     message that names what was wrong (throw bp::sdk::fail(status, text));
//   - call the core only through the bp_host_api it hands us (never link it);
//   - op_supports() tells the truth: it says yes only for what op_execute()
//     computes correctly, and gives a reason for every no (the table runs the
//     shared validator bp::sdk::check_op() first, for both).
//
// Device model: an "accelerator simulated in host memory". The table says
// device_kind OTHER (not CPU), which makes the core treat it like a GPU
// backend: ops it declines run on the CPU plugin through per-op fallback.
// Its memory is ordinary host memory (device type BP_DEVICE_CPU), so DLPack
// and bp_tensor_import can hand it host buffers without a copy; the SDK's
// host_memory_device gives the 64-byte aligned allocator and copies.
// The version comes from the build: backplane_add_plugin() compiles in the
// project's version (CMakeLists.txt, project(... VERSION ...)).
#include <cstdint>
#include <string>

#include "backplane/sdk/table.hpp"
#include "ops.hpp"

namespace template_plugin {
namespace {

// Everything init() creates. This plugin needs no state, but a real one keeps
// its handles (vendor context, streams, workspace) here.
struct context {};

struct plugin : bp::sdk::host_memory_device<plugin> {
  // The name must be the file's: libbackplane-template.so (backplane_add_plugin(template ...)).
  static constexpr const char* name = "template";
  static constexpr const char* description =
      "Template third-party plugin: GEMM, ReLU and ADD on a simulated accelerator";
  static constexpr int32_t priority = 60;  // preferred over openblas-cpu (10) when both are present
  static constexpr bp_device_kind device_kind = BP_DEVICE_KIND_OTHER;

  // A real accelerator plugin checks its driver and libraries here, without
  // creating device resources, and reports each one with report_dependency.
  // One that cannot serve reports why in a bp_probe_result of its own (state, cause, message, remedy).
  static void probe(const bp_host_api* host) {
    bp::sdk::report_ready(host, 1, "simulated accelerator in host memory (template plugin)");
  }
  static void* init(const bp_host_api*) { return new context; }
  static void shutdown(void* ctx) { delete static_cast<context*>(ctx); }
  static uint32_t device_count(void*) { return 1; }
  // `props` is a full, zeroed struct with kind set; the table copies as much as the caller's holds.
  static void device_props(void*, uint32_t index, bp_device_props& props) {
    check_device(index, "device_props");
    props.device = bp_device{BP_DEVICE_CPU, 0};
    bp::sdk::copy_string(props.name, sizeof props.name, "Template accelerator (simulated in host memory)");
    bp::sdk::copy_string(props.capability, sizeof props.capability, "gemm relu add");
    props.threads = 1;
  }
  // Every op completes before op_execute returns, so the default stream is the
  // only one (no stream_create/stream_destroy: the table leaves them NULL).
  static bp_status op_supports(void*, uint32_t device, const bp_op_desc& op, std::string& why) {
    check_device(device, "op_supports");
    return op_supported(op, &why);
  }
  static void op_execute(void*, uint32_t device, bp_stream_t, const bp_op_desc& op) {
    check_device(device, "op_execute");
    op_run(op);
  }
};

}  // namespace
}  // namespace template_plugin

// The one exported symbol. It must not throw or allocate device resources.
extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
  return bp::sdk::plugin_table<template_plugin::plugin>(host);
}
