// op_desc_fuzzer — random op descriptors through the shared validator
// (bp::sdk::check_op), then, when it accepts and the tensors are small, into
// the openblas-cpu plugin twice: through its raw table (exact-size heap
// buffers, strides and byte offsets as given, so ASan sees any access outside
// the tensors' reach) and through the core (bp_tensor_create + bp_op_run).
//
// Input layout (see tests/fuzz/make_seeds.py, which writes the seed corpus):
//   kind byte (kind = b % 27 - 1), attrs selector + fields, counts byte,
//   then per tensor: ndim byte, extents, dtype byte, flags byte [, strides].
// Invariants checked (abort = finding): statuses are ones the contract
// allows, every failure carries a message, the plugin never accepts what the
// validator refuses, and nothing crashes or touches memory outside a tensor.
#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "backplane/runtime.h"
#include "backplane/sdk/op_check.hpp"
#include "fuzz_input.hpp"

namespace {

[[noreturn]] void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "op_desc_fuzzer: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

// ---- the plugin's raw table with a minimal host -------------------------------------

thread_local std::string g_plugin_error;
void host_log(void*, bp_log_level, const char*) {}
void host_set_error(void*, bp_status, const char* m) { g_plugin_error = m ? m : ""; }
void host_report_probe(void*, const bp_probe_result*) {}
void host_report_dependency(void*, const bp_dependency_report*) {}
const char* host_get_option(void*, const char* name) { return std::string(name) == "CPU_THREADS" ? "2" : nullptr; }

struct raw_plugin {
  bp_host_api host{};
  const bp_plugin_api* api = nullptr;
  void* ctx = nullptr;
};

const raw_plugin& openblas() {
  static raw_plugin p = [] {
    raw_plugin r;
    r.host = bp_host_api{sizeof(bp_host_api), BP_ABI_VERSION_MAJOR, BP_ABI_VERSION_MINOR, BP_ABI_VERSION_MINOR, nullptr,
                         host_log, host_set_error, host_report_probe, host_report_dependency, host_get_option};
    void* h = dlopen(BACKPLANE_OPENBLAS_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (!h) violated("setup", std::string("dlopen: ") + dlerror());
    auto entry = reinterpret_cast<bp_plugin_entry_fn>(dlsym(h, BP_PLUGIN_ENTRY_SYMBOL));
    r.api = entry ? entry(&r.host) : nullptr;
    if (!r.api || r.api->init(&r.host, &r.ctx) != BP_OK) violated("setup", "openblas-cpu init: " + g_plugin_error);
    return r;
  }();
  return p;
}

bp_runtime_t core_runtime() {
  static bp_runtime_t rt = [] {
    const char* paths[] = {BACKPLANE_OPENBLAS_PLUGIN};
    bp_runtime_options o;
    bp_runtime_options_init(&o);
    o.plugin_paths = paths;
    o.num_plugin_paths = 1;
    o.use_environment = 0;
    o.explicit_paths_only = 1;
    o.fallback = BP_FALLBACK_ALLOW;
    bp_runtime_t r = nullptr;
    if (bp_runtime_create(&o, &r) != BP_OK) violated("setup", std::string("bp_runtime_create: ") + bp_last_error_message());
    return r;
  }();
  return rt;
}

// ---- descriptor from bytes ---------------------------------------------------------

// Attribute fields after struct_size: i = int32, f = float, L = int64 (8-aligned).
const char* attr_fields(bp_op_kind kind) {
  switch (kind) {
    case BP_OP_CONV2D_FWD: case BP_OP_CONV2D_BWD_DATA: case BP_OP_CONV2D_BWD_FILTER: return "iiiiiiiiiii";
    case BP_OP_POOL2D_FWD: case BP_OP_POOL2D_BWD: return "iiiiiiiiiii";
    case BP_OP_BIAS_ADD: case BP_OP_BIAS_GRAD: case BP_OP_ACTIVATION_FWD: case BP_OP_ACTIVATION_BWD:
    case BP_OP_SOFTMAX: case BP_OP_SOFTMAX_BWD: case BP_OP_SOFTMAX_XENT_FWD: case BP_OP_SOFTMAX_XENT_BWD: return "i";
    case BP_OP_GEMM: return "iiff";
    case BP_OP_ADAM_UPDATE: return "ffffL";
    case BP_OP_SGD_UPDATE: return "ffi";
    case BP_OP_SCALE: case BP_OP_FILL: return "f";
    case BP_OP_REDUCE: return "ii";
    default: return nullptr;
  }
}

// Canonical tensor counts per kind: {inputs, outputs}.
void canonical_counts(bp_op_kind kind, bool more, uint32_t* ni, uint32_t* no) {
  static const uint8_t table[][2] = {{0, 0}, {2, 1}, {2, 1}, {2, 1}, {2, 1}, {1, 1}, {1, 1}, {2, 1}, {1, 1},
                                     {3, 1}, {2, 1}, {1, 1}, {2, 1}, {2, 2}, {2, 1}, {1, 3}, {1, 1}, {2, 1},
                                     {2, 1}, {2, 1}, {1, 1}, {0, 1}, {1, 1}, {1, 1}, {1, 1}};
  if (kind <= 0 || kind >= BP_OP_KIND_COUNT_) return;
  *ni = table[kind][0], *no = table[kind][1];
  if (more && kind == BP_OP_CONV2D_FWD) *ni = 3;  // with bias
  if (more && kind == BP_OP_SGD_UPDATE) *no = 2;  // with velocity
}

int32_t pick_int(fuzz::input& in) {
  uint8_t b = in.byte();
  switch (b) {
    case 0xff: return INT32_MAX;
    case 0xfe: return INT32_MIN;
    case 0xfd: return 1 << 20;
    default: return int32_t(b % 12) - 2;
  }
}
float pick_float(fuzz::input& in) {
  static const float table[] = {0.0f, 1.0f, -1.0f, 0.5f, 0.9f, 0.999f, 1e-7f, 1e-3f,
                                NAN,  INFINITY, 2.0f, 1e30f, -0.0f, 0.1f, 3.0f, 1e-38f};
  return table[in.byte() % 16];
}
int64_t pick_extent(fuzz::input& in) {
  uint8_t b = in.byte();
  if (b < 200) return b % 9;
  static const int64_t special[] = {-1, int64_t(1) << 31, int64_t(1) << 40, INT64_MAX, int64_t(1) << 62, 16, 28, 33};
  return special[b % 8];
}
bp_dtype pick_dtype(fuzz::input& in) {
  switch (in.byte() % 16) {
    case 4: return {BP_DTYPE_INT, 32, 1};
    case 5: return {BP_DTYPE_UINT, 8, 1};
    case 6: return {BP_DTYPE_FLOAT, 64, 1};
    case 7: return {BP_DTYPE_FLOAT, 16, 1};
    case 8: return {BP_DTYPE_FLOAT, 12, 1};
    case 9: return {BP_DTYPE_FLOAT, 32, 2};
    case 10: return {7, 32, 1};
    default: return {BP_DTYPE_FLOAT, 32, 1};
  }
}

struct fuzz_tensor {
  int64_t shape[BP_MAX_DIMS] = {};
  int64_t strides[BP_MAX_DIMS] = {};
  bp_tensor t{};
  int alias_of = -1;  // outputs only: share the buffer of input k
};

struct fuzz_op {
  alignas(8) unsigned char attrs[64] = {};
  bool has_attrs = false;
  std::vector<fuzz_tensor> ins, outs;
  std::vector<bp_tensor> in_views, out_views;
  bp_op_desc desc{};
};

void read_tensor(fuzz::input& in, fuzz_tensor& ft, bool is_output, uint32_t num_inputs) {
  const uint8_t nd = in.byte();
  int32_t ndim = nd == 250 ? 9 : nd == 251 ? -1 : nd % 6;
  for (int32_t i = 0; i < ndim && i < BP_MAX_DIMS; ++i) ft.shape[i] = pick_extent(in);
  ft.t.ndim = ndim;
  ft.t.shape = ft.shape;
  ft.t.dtype = pick_dtype(in);
  const uint8_t flags = in.byte();
  ft.t.device = bp_device{(flags & 7) == 7 ? BP_DEVICE_CUDA : BP_DEVICE_CPU, 0};
  if (flags & 0x08) {
    for (int32_t i = 0; i < ndim && i < BP_MAX_DIMS; ++i) {
      int8_t s = static_cast<int8_t>(in.byte());
      ft.strides[i] = s == 127 ? INT64_MAX / 2 : s;
    }
    ft.t.strides = ft.strides;
  }
  if (flags & 0x10) ft.t.byte_offset = (flags & 0x40) ? 2 : 4;
  if (is_output && (flags & 0x20) && num_inputs > 0) ft.alias_of = (flags >> 6) % num_inputs;
}

void read_op(fuzz::input& in, fuzz_op& op) {
  const bp_op_kind kind = int32_t(in.byte() % 27) - 1;
  const uint8_t asel = in.byte();
  const char* fields = attr_fields(kind);
  uint32_t size = 4;
  if (fields) {
    for (const char* f = fields; *f; ++f) {
      if (*f == 'L') {
        size = (size + 7) / 8 * 8;
        int64_t v = pick_int(in);
        std::memcpy(op.attrs + size, &v, 8);
        size += 8;
      } else {
        if (*f == 'i') {
          int32_t v = pick_int(in);
          std::memcpy(op.attrs + size, &v, 4);
        } else {
          float v = pick_float(in);
          std::memcpy(op.attrs + size, &v, 4);
        }
        size += 4;
      }
    }
  }
  uint32_t struct_size = size;
  if ((asel & 7) == 6) struct_size = size ? in.byte() % size : 0;   // older/garbage version
  if ((asel & 7) == 7) struct_size = size + 16;                     // newer version (buffer has room)
  std::memcpy(op.attrs, &struct_size, 4);
  op.has_attrs = fields ? (asel & 0xF0) != 0xF0 : (asel & 0xF0) == 0xE0;
  const uint8_t csel = in.byte();
  uint32_t ni = 0, no = 0;
  if (csel % 4 != 0) canonical_counts(kind, (csel >> 2) & 1, &ni, &no);
  else ni = (csel >> 2) % 5, no = (csel >> 5) % 4;
  op.ins.resize(ni);
  op.outs.resize(no);
  for (auto& t : op.ins) read_tensor(in, t, false, ni);
  for (auto& t : op.outs) read_tensor(in, t, true, ni);
  for (auto& t : op.ins) op.in_views.push_back(t.t);
  for (auto& t : op.outs) op.out_views.push_back(t.t);
  op.desc.struct_size = (asel & 0x0F) == 0x0D ? 24 : sizeof(bp_op_desc);
  op.desc.kind = kind;
  op.desc.attrs = op.has_attrs ? op.attrs : nullptr;
  op.desc.inputs = op.in_views.empty() ? nullptr : op.in_views.data();
  op.desc.outputs = op.out_views.empty() ? nullptr : op.out_views.data();
  op.desc.num_inputs = ni;
  op.desc.num_outputs = no;
}

void expect_status(const char* where, bp_status s, const std::string& message) {
  if (s != BP_OK && s != BP_ERR_INVALID_ARGUMENT && s != BP_ERR_UNSUPPORTED && s != BP_ERR_OUT_OF_MEMORY)
    violated(where, "unexpected status " + std::to_string(s) + ": " + message);
  if (s != BP_OK && message.empty()) violated(where, "status " + std::to_string(s) + " without a message");
}

// Elements reached by a (validated) tensor: offsets [lo, hi] relative to its base.
void reach(const bp_tensor& t, int64_t* lo, int64_t* hi) {
  *lo = 0, *hi = 0;
  int64_t compact = 1;
  for (int32_t i = t.ndim - 1; i >= 0; --i) {
    const int64_t stride = t.strides ? t.strides[i] : compact;
    const int64_t span = stride * (t.shape[i] - 1);
    if (span < 0) *lo += span;
    else *hi += span;
    compact *= t.shape[i];
  }
}

// Small enough that the costliest kernel (a conv over 4096-element tensors) stays in milliseconds.
constexpr int64_t kMaxElements = 4096;

// An output may share an input's buffer only when both address exactly the same bytes.
bool same_footprint(const bp_tensor& a, const bp_tensor& b) {
  return !a.strides && !b.strides && a.byte_offset == b.byte_offset && a.dtype.bits == b.dtype.bits &&
         a.dtype.lanes == b.dtype.lanes && a.dtype.code == b.dtype.code && bp::sdk::numel(a) == bp::sdk::numel(b);
}

uint32_t g_seed = 1;
float next_float() {
  g_seed = g_seed * 1664525u + 1013904223u;
  return float(int32_t(g_seed >> 8) % 2000) / 100.0f - 10.0f;
}

// Run the accepted descriptor on the raw table with exact-size buffers.
void run_raw(fuzz_op& op) {
  std::vector<std::unique_ptr<unsigned char[]>> buffers;
  uint64_t total = 0;
  auto place = [&](fuzz_tensor& ft, bp_tensor& v) -> bool {
    const int64_t n = bp::sdk::numel(v);
    if (v.device.device_type != BP_DEVICE_CPU) {
      v.data = reinterpret_cast<void*>(0x1000);  // never dereferenced: the plugin must decline
      return true;
    }
    if (n == 0) {
      buffers.emplace_back(new unsigned char[1]);
      v.data = buffers.back().get();
      return true;
    }
    int64_t lo = 0, hi = 0;
    reach(v, &lo, &hi);
    const uint64_t elem = bp::sdk::dtype_bytes(v.dtype);
    const uint64_t bytes = uint64_t(hi - lo + 1) * elem + v.byte_offset;
    if (n > kMaxElements || hi - lo >= (1 << 18) || (total += bytes) > (1u << 20)) return false;
    buffers.emplace_back(new unsigned char[bytes]);
    unsigned char* base = buffers.back().get();
    v.data = base + uint64_t(-lo) * elem;  // negative strides reach back to `base`, no further
    for (int64_t i = 0; i < hi - lo + 1; ++i) {
      unsigned char* e = base + v.byte_offset + uint64_t(i) * elem;
      if (bp::sdk::is_float32(v.dtype)) {
        float f = next_float();
        std::memcpy(e, &f, 4);
      } else if (elem == 4) {
        int32_t k = int32_t(g_seed % 14) - 2;
        g_seed = g_seed * 1103515245u + 12345u;
        std::memcpy(e, &k, 4);
      } else {
        std::memset(e, int(g_seed & 0xff), elem);
      }
    }
    (void)ft;
    return true;
  };
  for (size_t i = 0; i < op.ins.size(); ++i)
    if (!place(op.ins[i], op.in_views[i])) return;
  for (size_t i = 0; i < op.outs.size(); ++i) {
    if (op.outs[i].alias_of >= 0) {
      const bp_tensor& src = op.in_views[op.outs[i].alias_of];
      if (same_footprint(src, op.out_views[i])) op.out_views[i].data = src.data;
      else if (!place(op.outs[i], op.out_views[i])) return;
    } else if (!place(op.outs[i], op.out_views[i])) {
      return;
    }
  }
  std::string why;
  const bp_status checked = bp::sdk::check_op(op.desc, true, &why);
  expect_status("check_op(require_data)", checked, why);
  const raw_plugin& p = openblas();
  char reason[512] = {0};
  g_plugin_error.clear();
  bp_status s = p.api->op_supports(p.ctx, 0, &op.desc, reason, sizeof reason);
  expect_status("op_supports", s, reason[0] ? reason : g_plugin_error);
  g_plugin_error.clear();
  s = p.api->op_execute(p.ctx, 0, nullptr, &op.desc);
  expect_status("op_execute", s, g_plugin_error);
  if (checked != BP_OK && s == BP_OK) violated("op_execute", "accepted a descriptor check_op refused: " + why);
}

// The same op through the core, when it can be expressed with core tensors.
void run_core(const fuzz_op& op) {
  for (const auto& t : op.ins)
    if (t.t.strides || t.t.byte_offset || t.t.device.device_type != BP_DEVICE_CPU || bp::sdk::numel(t.t) > kMaxElements) return;
  for (const auto& t : op.outs)
    if (t.t.strides || t.t.byte_offset || t.t.device.device_type != BP_DEVICE_CPU || bp::sdk::numel(t.t) > kMaxElements) return;
  bp_runtime_t rt = core_runtime();
  std::vector<bp_tensor_t> ins, outs, owned;
  bool ok = true;
  auto make = [&](const bp_tensor& v) -> bp_tensor_t {
    bp_tensor_t t = nullptr;
    bp_status s = bp_tensor_create(rt, v.dtype, v.ndim, v.shape, &t);
    if (s != BP_OK) {
      expect_status("bp_tensor_create", s, bp_last_error_message());
      ok = false;
      return nullptr;
    }
    owned.push_back(t);
    std::vector<unsigned char> bytes(bp_tensor_nbytes(t));
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
      float f = next_float();
      if (!bp::sdk::is_float32(v.dtype)) f = float(int32_t(g_seed % 12) - 1);
      int32_t k = int32_t(f);
      std::memcpy(&bytes[i], bp::sdk::is_float32(v.dtype) ? static_cast<void*>(&f) : static_cast<void*>(&k), 4);
    }
    if (bp_tensor_write(t, bytes.data(), bytes.size()) != BP_OK) violated("bp_tensor_write", bp_last_error_message());
    return t;
  };
  for (const auto& t : op.ins) ins.push_back(ok ? make(t.t) : nullptr);
  for (const auto& t : op.outs) {
    const bool alias = t.alias_of >= 0 && same_footprint(op.ins[t.alias_of].t, t.t);
    outs.push_back(ok ? (alias ? ins[t.alias_of] : make(t.t)) : nullptr);
  }
  if (ok) {
    bp_status s = bp_op_run(rt, op.desc.kind, op.desc.attrs, ins.data(), uint32_t(ins.size()), outs.data(),
                            uint32_t(outs.size()));
    expect_status("bp_op_run", s, bp_last_error_message());
  }
  for (bp_tensor_t t : owned) bp_tensor_destroy(t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::input in(data, size);
  fuzz_op op;
  read_op(in, op);
  g_seed = 2166136261u ^ uint32_t(size);
  std::string why;
  const bp_status s = bp::sdk::check_op(op.desc, false, &why);
  expect_status("check_op", s, why);
  if (s != BP_OK) return 0;
  run_core(op);
  run_raw(op);
  return 0;
}
