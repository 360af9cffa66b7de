// backplane/sdk/table.hpp — build a plugin's function table from a C++ class.
//
//   struct my_plugin {
//     static constexpr const char* name = "mine";
//     static constexpr const char* version = "1.0.0";
//     static constexpr const char* description = "...";
//     static constexpr int32_t priority = 50;
//     static constexpr bp_device_kind device_kind = BP_DEVICE_KIND_OTHER;
//     static void probe(const bp_host_api* host);                       // report_probe etc.
//     static void* init(const bp_host_api* host);                       // the context
//     static void shutdown(void* context);
//     static uint32_t device_count(void* context);
//     static void device_props(void* context, uint32_t index, bp_device_props& props);  // full struct
//     static void* mem_alloc(void* context, uint32_t device, uint64_t bytes);
//     static void mem_free(void* context, uint32_t device, void* ptr);
//     static void mem_copy(void* context, uint32_t device, bp_stream_t stream, void* dst, const void* src,
//                          uint64_t bytes, bp_memcpy_kind kind);
//     static void stream_synchronize(void* context, uint32_t device, bp_stream_t stream);
//     static bp_status op_supports(void* context, uint32_t device, const bp_op_desc& op, std::string& why);
//     static void op_execute(void* context, uint32_t device, bp_stream_t stream, const bp_op_desc& op);
//   };
//   extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
//     return bp::sdk::plugin_table<my_plugin>(host);
//   }
//
// Every member is wrapped in bp::sdk::guard() (throw bp::sdk::fail() inside;
// nothing allocates outside it, so no exception can reach the C ABI),
// NULL out-pointers are refused with a message, device_props honours the
// caller's struct_size, op_supports runs bp::sdk::check_op() before the
// class's own answer and copies the reason, and op_execute re-validates and
// asks op_supports before running. Streams are the default stream only
// (stream_create/stream_destroy stay NULL). Header-only; nothing here crosses
// the ABI.
#pragma once

#include <cstring>
#include <string>

#include "backplane/abi.h"
#include "backplane/sdk/op_check.hpp"
#include "backplane/sdk/plugin.hpp"

namespace bp::sdk {

namespace table_detail {

template <typename P>
struct members {
  static std::string call(const char* what) { return std::string(P::name) + " " + what; }

  static bp_status probe(const bp_host_api* host) {
    return guard(P::name, [&] {
      set_host(host);
      P::probe(host);
    });
  }
  static bp_status init(const bp_host_api* host, void** context) {
    return guard(P::name, [&] {
      if (!context) fail(BP_ERR_INVALID_ARGUMENT, call("init") + ": context (out) is NULL");
      set_host(host);
      *context = P::init(host);
    });
  }
  static void shutdown(void* context) {
    guard(P::name, [&] { P::shutdown(context); });
  }
  static bp_status device_count(void* context, uint32_t* count) {
    return guard(P::name, [&] {
      if (!count) fail(BP_ERR_INVALID_ARGUMENT, call("device_count") + ": count is NULL");
      *count = P::device_count(context);
    });
  }
  static bp_status device_props(void* context, uint32_t index, bp_device_props* props) {
    return guard(P::name, [&] {
      if (!props) fail(BP_ERR_INVALID_ARGUMENT, call("device_props") + ": props is NULL");
      if (props->struct_size < offsetof(bp_device_props, device) + sizeof(bp_device))
        fail(BP_ERR_INVALID_ARGUMENT, call("device_props") + ": props->struct_size " +
                                          std::to_string(props->struct_size) + " is too small");
      // A full local copy; the caller gets as much as its struct holds (an older core's is smaller).
      bp_device_props full{};
      full.struct_size = sizeof full;
      P::device_props(context, index, full);
      const uint32_t size = props->struct_size < sizeof full ? props->struct_size : uint32_t(sizeof full);
      full.struct_size = size;
      std::memcpy(props, &full, size);
    });
  }
  static bp_status mem_alloc(void* context, uint32_t device, uint64_t bytes, void** ptr) {
    return guard(P::name, [&] {
      if (!ptr) fail(BP_ERR_INVALID_ARGUMENT, call("mem_alloc") + ": ptr is NULL");
      *ptr = nullptr;
      *ptr = P::mem_alloc(context, device, bytes);
    });
  }
  static bp_status mem_free(void* context, uint32_t device, void* ptr) {
    return guard(P::name, [&] { P::mem_free(context, device, ptr); });
  }
  static bp_status mem_copy(void* context, uint32_t device, bp_stream_t stream, void* dst, const void* src,
                            uint64_t bytes, bp_memcpy_kind kind) {
    return guard(P::name, [&] {
      if (bytes && (!dst || !src)) fail(BP_ERR_INVALID_ARGUMENT, call("mem_copy") + ": NULL pointer for " + std::to_string(bytes) + " bytes");
      P::mem_copy(context, device, stream, dst, src, bytes, kind);
    });
  }
  static bp_status stream_synchronize(void* context, uint32_t device, bp_stream_t stream) {
    return guard(P::name, [&] { P::stream_synchronize(context, device, stream); });
  }
  // check_op, then the class's own answer; the reason goes to the buffer and to set_error.
  static bp_status answer(void* context, uint32_t device, const bp_op_desc* op, bool require_data, std::string& why) {
    if (!op) {
      why = call("op") + ": op is NULL";
      return BP_ERR_INVALID_ARGUMENT;
    }
    bp_status status = check_op(*op, require_data, &why);
    if (status == BP_OK) status = P::op_supports(context, device, *op, why);
    return status;
  }
  static bp_status op_supports(void* context, uint32_t device, const bp_op_desc* op, char* reason, uint64_t size) {
    return guard(P::name, [&]() -> bp_status {
      copy_string(reason, size, "");
      std::string why;
      const bp_status status = answer(context, device, op, false, why);
      if (status != BP_OK) {
        copy_string(reason, size, why);
        report_error(status, why.c_str());
      }
      return status;
    });
  }
  static bp_status op_execute(void* context, uint32_t device, bp_stream_t stream, const bp_op_desc* op) {
    return guard(P::name, [&] {
      std::string why;
      const bp_status status = answer(context, device, op, true, why);
      if (status != BP_OK) fail(status, call("op_execute") + ": " + why);
      P::op_execute(context, device, stream, *op);
    });
  }
};

}  // namespace table_detail

// The static table for plugin class P; call it from bp_plugin_get_api.
template <typename P>
const bp_plugin_api* plugin_table(const bp_host_api* host) {
  using m = table_detail::members<P>;
  set_host(host);
  static const bp_plugin_api api = {
      /* .struct_size = */ sizeof(bp_plugin_api),
      /* .abi_major = */ BP_ABI_VERSION_MAJOR,
      /* .abi_minor = */ BP_ABI_VERSION_MINOR,
      /* .priority = */ P::priority,
      /* .name = */ P::name,
      /* .version = */ P::version,
      /* .description = */ P::description,
      /* .device_kind = */ P::device_kind,
      /* .probe = */ m::probe,
      /* .init = */ m::init,
      /* .shutdown = */ m::shutdown,
      /* .device_count = */ m::device_count,
      /* .device_props = */ m::device_props,
      /* .mem_alloc = */ m::mem_alloc,
      /* .mem_free = */ m::mem_free,
      /* .mem_copy = */ m::mem_copy,
      /* .stream_create = */ nullptr,
      /* .stream_destroy = */ nullptr,
      /* .stream_synchronize = */ m::stream_synchronize,
      /* .op_supports = */ m::op_supports,
      /* .op_execute = */ m::op_execute,
  };
  return &api;
}

}  // namespace bp::sdk
