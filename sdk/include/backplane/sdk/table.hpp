// backplane/sdk/table.hpp — THE way to write a plugin's function table: from a
// C++ class of static functions, every member guarded.
//
//   struct my_plugin : bp::sdk::host_memory_device<my_plugin> {   // optional building block
//     static constexpr const char* name = "mine";          // must be the file's: libbackplane-mine.so
//     static constexpr const char* description = "...";
//     static constexpr int32_t priority = 50;
//     static constexpr bp_device_kind device_kind = BP_DEVICE_KIND_OTHER;
//     static void probe(const bp_host_api* host);          // report_probe, report_dependency
//     static void* init(const bp_host_api* host);          // the context
//     static uint32_t device_count(void* context);
//     static void device_props(void* context, uint32_t index, bp_device_props& props);  // a full struct
//     static bp_status op_supports(void* context, uint32_t device, const bp_op_desc& op, std::string& why);
//     static void op_execute(void* context, uint32_t device, bp_stream_t stream, const bp_op_desc& op);
//     // Memory: from host_memory_device (64-byte aligned host memory on device 0), or your own:
//     //   static void* mem_alloc(void* context, uint32_t device, uint64_t bytes);
//     //   static void mem_free(void* context, uint32_t device, void* ptr);
//     //   static void mem_copy(void* context, uint32_t device, bp_stream_t stream, void* dst, const void* src,
//     //                        uint64_t bytes, bp_memcpy_kind kind);
//     // Optional (detected; left out means the default in brackets):
//     //   static constexpr const char* version;               [BACKPLANE_PLUGIN_VERSION, set by backplane_add_plugin]
//     //   static void shutdown(void* context);                [nothing to release]
//     //   static void stream_synchronize(void* context, uint32_t device, bp_stream_t stream);  [synchronous: no-op]
//     //   static bp_stream_t stream_create(void* context, uint32_t device);    [both or neither;
//     //   static void stream_destroy(void* context, uint32_t device, bp_stream_t stream);  default stream only]
//   };
//   extern "C" BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
//     return bp::sdk::plugin_table<my_plugin>(host);
//   }
//
// What the table does so the class does not have to (each rule once, here):
//   - every member runs in bp::sdk::guard(): throw bp::sdk::fail() inside, no
//     exception reaches the C ABI;
//   - NULL out-pointers are refused with a message; device_props writes at
//     most the caller's struct_size; mem_copy refuses an unknown kind and
//     NULL pointers, and does nothing for 0 bytes;
//   - mem_alloc's result is checked against the ABI's 64-byte alignment;
//   - op_supports runs bp::sdk::check_op() before the class's answer and copies
//     the reason; op_execute checks the same way before running, so both give
//     the same answer for the same descriptor;
//   - the version comes from the build (backplane_add_plugin defines
//     BACKPLANE_PLUGIN_VERSION from VERSION or the project's version), and the
//     name is checked at compile time against the plugin's file name
//     (BACKPLANE_PLUGIN_NAME, also from backplane_add_plugin).
// Header-only; nothing here crosses the ABI.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "backplane/abi.h"
#include "backplane/sdk/op_check.hpp"
#include "backplane/sdk/plugin.hpp"

namespace bp::sdk {

// The ABI promises at least this alignment for every mem_alloc result.
constexpr uint64_t kAllocationAlignment = 64;

// A probe's verdict "ready with `devices` devices" (a plugin that cannot serve
// fills a bp_probe_result itself: state, cause, message and remedy).
inline void report_ready(const bp_host_api* host, uint32_t devices, const std::string& message) {
  if (!BP_SDK_HOST_HAS(host, report_probe)) return;
  bp_probe_result r{};
  r.struct_size = sizeof r;
  r.state = BP_STATE_READY;
  r.cause = BP_CAUSE_NONE;
  r.device_count = devices;
  r.message = message.c_str();
  r.remedy = "";
  host->report_probe(host->host_context, &r);
}

// ---- host memory: the building block of plugins whose memory is the host's ------------------

// 64-byte aligned host memory (0 bytes still gives a unique block); `who` names
// the caller in the out-of-memory message.
inline void* allocate_host_memory(const std::string& who, uint64_t bytes) {
  constexpr uint64_t a = kAllocationAlignment;
  if (bytes > UINT64_MAX - a) fail(BP_ERR_OUT_OF_MEMORY, who + ": " + std::to_string(bytes) + " bytes is too large");
  const uint64_t rounded = bytes == 0 ? a : (bytes + a - 1) / a * a;  // aligned_alloc wants a multiple
  void* p = rounded > SIZE_MAX ? nullptr : std::aligned_alloc(a, size_t(rounded));
  if (!p) fail(BP_ERR_OUT_OF_MEMORY, who + ": cannot allocate " + std::to_string(bytes) + " bytes of host memory");
  return p;
}

// One device (index 0) whose memory is host memory: mem_alloc/mem_free/mem_copy
// and a device check for the rest of the class. Derive from it with the class
// itself as P (it names P::name in its messages).
template <typename P>
struct host_memory_device {
  static void check_device(uint32_t device, const char* call) {
    if (device != 0)
      fail(BP_ERR_NOT_FOUND, std::string(P::name) + " " + call + ": device " + std::to_string(device) +
                                 " does not exist (this plugin has device 0 only)");
  }
  static void* mem_alloc(void*, uint32_t device, uint64_t bytes) {
    check_device(device, "mem_alloc");
    return allocate_host_memory(std::string(P::name) + " mem_alloc", bytes);
  }
  static void mem_free(void*, uint32_t device, void* ptr) {
    check_device(device, "mem_free");
    std::free(ptr);
  }
  // Synchronous: the copy is done when this returns (the table checked pointers and kind).
  static void mem_copy(void*, uint32_t device, bp_stream_t, void* dst, const void* src, uint64_t bytes, bp_memcpy_kind) {
    check_device(device, "mem_copy");
    std::memmove(dst, src, size_t(bytes));
  }
  static void stream_synchronize(void*, uint32_t device, bp_stream_t) { check_device(device, "stream_synchronize"); }
};

namespace table_detail {

// Which optional members the class has.
#define BP_SDK_DETECT(member)                                                     \
  template <typename P, typename = void>                                          \
  struct has_##member : std::false_type {};                                       \
  template <typename P>                                                           \
  struct has_##member<P, std::void_t<decltype(&P::member)>> : std::true_type {};
BP_SDK_DETECT(version)
BP_SDK_DETECT(shutdown)
BP_SDK_DETECT(stream_synchronize)
BP_SDK_DETECT(stream_create)
BP_SDK_DETECT(stream_destroy)
#undef BP_SDK_DETECT

constexpr bool same_text(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

template <typename P>
const char* version() {
  if constexpr (has_version<P>::value) {
    return P::version;
  } else {
#ifdef BACKPLANE_PLUGIN_VERSION
    return BACKPLANE_PLUGIN_VERSION;
#else
    static_assert(has_version<P>::value,
                  "no plugin version: build with backplane_add_plugin() (it defines BACKPLANE_PLUGIN_VERSION "
                  "from VERSION or the project's version) or give the class a static constexpr version");
    return "";
#endif
  }
}

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
      if (!context) fail(BP_ERR_INVALID_ARGUMENT, call("init") + ": context is NULL");
      set_host(host);
      *context = P::init(host);
    });
  }
  static void shutdown(void* context) {
    if constexpr (has_shutdown<P>::value) guard(P::name, [&] { P::shutdown(context); });
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
      full.kind = P::device_kind;
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
      void* p = P::mem_alloc(context, device, bytes);
      if (reinterpret_cast<uintptr_t>(p) % kAllocationAlignment != 0) {
        P::mem_free(context, device, p);
        fail(BP_ERR_INTERNAL, call("mem_alloc") + ": returned an address that is not " +
                                  std::to_string(kAllocationAlignment) + "-byte aligned (the ABI promises it)");
      }
      *ptr = p;
    });
  }
  static bp_status mem_free(void* context, uint32_t device, void* ptr) {
    return guard(P::name, [&] { P::mem_free(context, device, ptr); });
  }
  static bp_status mem_copy(void* context, uint32_t device, bp_stream_t stream, void* dst, const void* src,
                            uint64_t bytes, bp_memcpy_kind kind) {
    return guard(P::name, [&] {
      if (kind != BP_MEMCPY_HOST_TO_DEVICE && kind != BP_MEMCPY_DEVICE_TO_HOST && kind != BP_MEMCPY_DEVICE_TO_DEVICE)
        fail(BP_ERR_INVALID_ARGUMENT, call("mem_copy") + ": unknown copy kind " + std::to_string(kind));
      if (bytes == 0) return;
      if (!dst || !src) fail(BP_ERR_INVALID_ARGUMENT, call("mem_copy") + ": NULL pointer for " + std::to_string(bytes) + " bytes");
      P::mem_copy(context, device, stream, dst, src, bytes, kind);
    });
  }
  static bp_status stream_create(void* context, uint32_t device, bp_stream_t* stream) {
    return guard(P::name, [&] {
      if (!stream) fail(BP_ERR_INVALID_ARGUMENT, call("stream_create") + ": stream is NULL");
      *stream = P::stream_create(context, device);
    });
  }
  static bp_status stream_destroy(void* context, uint32_t device, bp_stream_t stream) {
    return guard(P::name, [&] { P::stream_destroy(context, device, stream); });
  }
  static bp_status stream_synchronize(void* context, uint32_t device, bp_stream_t stream) {
    return guard(P::name, [&] {
      if constexpr (has_stream_synchronize<P>::value) P::stream_synchronize(context, device, stream);
    });
  }
  // check_op, then the class's own answer.
  static bp_status answer(void* context, uint32_t device, const bp_op_desc* op, bool require_data, std::string& why) {
    if (!op) {
      why = "op is NULL";  // op_execute adds "<name> op_execute: " in front
      return BP_ERR_INVALID_ARGUMENT;
    }
    bp_status status = check_op(*op, require_data, &why);
    if (status == BP_OK) status = P::op_supports(context, device, *op, why);
    return status;
  }
  // The reason goes to the caller's buffer and to set_error.
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

// The optional stream members: the table's wrapper when the class has them, else NULL.
template <typename P>
constexpr decltype(bp_plugin_api::stream_create) stream_create_member() {
  if constexpr (has_stream_create<P>::value) return members<P>::stream_create;
  else return nullptr;
}
template <typename P>
constexpr decltype(bp_plugin_api::stream_destroy) stream_destroy_member() {
  if constexpr (has_stream_destroy<P>::value) return members<P>::stream_destroy;
  else return nullptr;
}

}  // namespace table_detail

// The static table for plugin class P; call it from bp_plugin_get_api.
template <typename P>
const bp_plugin_api* plugin_table(const bp_host_api* host) {
  using m = table_detail::members<P>;
  using namespace table_detail;
  static_assert(has_stream_create<P>::value == has_stream_destroy<P>::value,
                "a plugin class defines both stream_create and stream_destroy, or neither");
#ifdef BACKPLANE_PLUGIN_NAME
  static_assert(same_text(P::name, BACKPLANE_PLUGIN_NAME),
                "the class's name differs from the name given to backplane_add_plugin(): the core knows a plugin "
                "by its file name (libbackplane-<name>.so) and refuses a table that declares another");
#endif
  set_host(host);
  static const bp_plugin_api api = {
      /* .struct_size = */ sizeof(bp_plugin_api),
      /* .abi_major = */ BP_ABI_VERSION_MAJOR,
      /* .abi_minor = */ BP_ABI_VERSION_MINOR,
      /* .priority = */ P::priority,
      /* .name = */ P::name,
      /* .version = */ table_detail::version<P>(),
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
      /* .stream_create = */ stream_create_member<P>(),
      /* .stream_destroy = */ stream_destroy_member<P>(),
      /* .stream_synchronize = */ m::stream_synchronize,
      /* .op_supports = */ m::op_supports,
      /* .op_execute = */ m::op_execute,
  };
  return &api;
}

}  // namespace bp::sdk
