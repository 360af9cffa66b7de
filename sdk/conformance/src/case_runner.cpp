// case_runner.cpp — runtimes, tensors, runs and comparisons for one op case.
#include "case_runner.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "backplane/sdk/tensor_util.hpp"

namespace bp::conformance::detail {
namespace {

// The case's tensors on one runtime; host blocks behind imported ones.
struct case_tensors {
  std::vector<bp_tensor_t> in, out;
  std::vector<std::unique_ptr<unsigned char, decltype(&std::free)>> host;
  case_tensors() = default;
  case_tensors(const case_tensors&) = delete;
  ~case_tensors() {
    for (bp_tensor_t t : in) bp_tensor_destroy(t);
    for (bp_tensor_t t : out) bp_tensor_destroy(t);
  }
};

// Whether the runtime's tensors live in host memory (so an offset placement can be imported).
bool host_memory(bp_runtime_t rt) {
  bp_tensor_t probe = nullptr;
  const int64_t one = 1;
  if (bp_tensor_create(rt, bp_dtype{BP_DTYPE_FLOAT, 32, 1}, 1, &one, &probe) != BP_OK) return false;
  const bp_tensor* v = bp_tensor_view(probe);
  const bool host = v && (v->device.device_type == BP_DEVICE_CPU || v->device.device_type == BP_DEVICE_CUDA_HOST);
  bp_tensor_destroy(probe);
  return host;
}

// One tensor: imported `offset` elements into a 64-byte aligned host block when
// the spec asks for an offset and the runtime reads host memory; created otherwise.
std::string make_tensor(bp_runtime_t rt, bool host, const tensor_spec& s, const std::vector<unsigned char>& bytes,
                        case_tensors& ts, std::vector<bp_tensor_t>& into) {
  bp_tensor_t t = nullptr;
  if (s.offset > 0 && host) {
    const size_t lead = size_t(s.offset) * 4, total = (lead + bytes.size() + 63) / 64 * 64;
    unsigned char* block = static_cast<unsigned char*>(std::aligned_alloc(64, total ? total : 64));
    if (!block) return "out of host memory for an offset tensor";
    ts.host.emplace_back(block, &std::free);
    std::memcpy(block + lead, bytes.data(), bytes.size());
    bp_tensor view{};
    view.data = block;
    view.device = {BP_DEVICE_CPU, 0};
    view.ndim = int32_t(s.shape.size());
    view.dtype = s.dtype;
    view.shape = const_cast<int64_t*>(s.shape.data());
    view.byte_offset = lead;
    if (bp_tensor_import(rt, &view, nullptr, nullptr, &t) != BP_OK) return std::string("bp_tensor_import: ") + bp_last_error_message();
    into.push_back(t);
    return "";
  }
  if (bp_tensor_create(rt, s.dtype, int32_t(s.shape.size()), s.shape.data(), &t) != BP_OK)
    return std::string("bp_tensor_create: ") + bp_last_error_message();
  into.push_back(t);
  if (bp_tensor_write(t, bytes.data(), bytes.size()) != BP_OK) return std::string("bp_tensor_write: ") + bp_last_error_message();
  return "";
}

std::string make_tensors(bp_runtime_t rt, const op_case& c, const case_data& data, case_tensors& ts) {
  bool any_offset = false;
  for (const auto* set : {&c.inputs, &c.outputs})
    for (const tensor_spec& s : *set) any_offset = any_offset || s.offset > 0;
  const bool host = any_offset && host_memory(rt);
  for (size_t i = 0; i < c.inputs.size(); ++i)
    if (auto e = make_tensor(rt, host, c.inputs[i], data.inputs[i], ts, ts.in); !e.empty()) return e;
  for (size_t i = 0; i < c.outputs.size(); ++i)
    if (auto e = make_tensor(rt, host, c.outputs[i], data.outputs[i], ts, ts.out); !e.empty()) return e;
  return "";
}

}  // namespace

void open_kit_runtime(kit_runtime& h, const std::string& path, const std::string& backend, int32_t op_fallback,
                      const options& opts) {
  bp_runtime_options o;
  bp_runtime_options_init(&o);
  const char* paths[1] = {path.c_str()};
  if (!path.empty()) {
    o.plugin_paths = paths;
    o.num_plugin_paths = 1;
    o.explicit_paths_only = 1;
  }
  o.backends = backend.empty() ? nullptr : backend.c_str();
  o.use_environment = opts.use_environment ? 1 : 0;
  o.fallback = BP_FALLBACK_ALLOW;
  o.op_fallback = op_fallback;
  if (bp_runtime_create(&o, &h.rt) != BP_OK) h.error = bp_last_error_message();
}

run_result run_case_on(bp_runtime_t rt, const op_case& c, const case_data& data) {
  run_result r;
  case_tensors ts;
  if (std::string e = make_tensors(rt, c, data, ts); !e.empty()) {
    r.message = e;
    return r;
  }
  r.status = bp_op_run(rt, c.kind, c.attrs_ptr(), ts.in.data(), uint32_t(ts.in.size()), ts.out.data(), uint32_t(ts.out.size()));
  if (r.status != BP_OK) r.message = bp_last_error_message();
  for (bp_tensor_t t : ts.out) {
    std::vector<unsigned char> bytes(bp_tensor_nbytes(t));
    if (bp_tensor_read(t, bytes.data(), bytes.size()) != BP_OK && r.status == BP_OK) {
      r.status = bp_last_error_status();
      r.message = std::string("bp_tensor_read: ") + bp_last_error_message();
    }
    r.outputs.push_back(std::move(bytes));
  }
  return r;
}

bp_status ask_support(bp_runtime_t rt, const op_case& c, const case_data& data, std::string* reason) {
  case_tensors ts;
  if (std::string e = make_tensors(rt, c, data, ts); !e.empty()) {
    *reason = e;
    return BP_ERR_INTERNAL;
  }
  char buf[1024] = {0};
  const bp_status s = bp_op_supported(rt, c.kind, c.attrs_ptr(), ts.in.data(), uint32_t(ts.in.size()), ts.out.data(),
                                      uint32_t(ts.out.size()), buf, sizeof buf);
  *reason = buf[0] ? buf : (s == BP_OK ? "" : bp_last_error_message());
  return s;
}

std::string compare_outputs(const op_case& c, const std::vector<std::vector<unsigned char>>& got,
                            const std::vector<std::vector<unsigned char>>& want, double* max_error) {
  for (size_t o = 0; o < c.outputs.size(); ++o) {
    const size_t n = want[o].size() / 4;
    if (got[o].size() != want[o].size()) return "output " + std::to_string(o) + " has the wrong size";
    const std::string role = bp::sdk::tensor_label(c.kind, false, uint32_t(o));
    if (c.outputs[o].dtype.code == BP_DTYPE_INT) {
      const auto* g = reinterpret_cast<const int32_t*>(got[o].data());
      const auto* w = reinterpret_cast<const int32_t*>(want[o].data());
      for (size_t i = 0; i < n; ++i)
        if (g[i] != w[i]) return role + " element " + std::to_string(i) + ": " + std::to_string(g[i]) + ", reference " + std::to_string(w[i]);
      continue;
    }
    const auto* g = reinterpret_cast<const float*>(got[o].data());
    const auto* w = reinterpret_cast<const float*>(want[o].data());
    for (size_t i = 0; i < n; ++i) {
      if (std::isnan(w[i])) continue;  // the reference left it unwritten too (e.g. unused)
      if (std::isnan(g[i])) return role + " element " + std::to_string(i) + " was not written (still the NaN poison)";
      const double err = std::fabs(double(g[i]) - double(w[i]));
      if (max_error && err > *max_error) *max_error = err;
      if (err > c.atol + c.rtol * std::fabs(double(w[i])))
        return role + " element " + std::to_string(i) + ": " + std::to_string(g[i]) + ", reference " + std::to_string(w[i]) +
               " (|diff| " + std::to_string(err) + " > atol " + std::to_string(c.atol) + " + rtol " + std::to_string(c.rtol) + "*|ref|)";
    }
  }
  return "";
}

double time_case(bp_runtime_t rt, const op_case& c, const case_data& data, double seconds, std::string* why) {
  case_tensors ts;
  if (std::string e = make_tensors(rt, c, data, ts); !e.empty()) {
    *why = e;
    return -1;
  }
  auto once = [&] {
    return bp_op_run(rt, c.kind, c.attrs_ptr(), ts.in.data(), uint32_t(ts.in.size()), ts.out.data(), uint32_t(ts.out.size()));
  };
  if (once() != BP_OK || bp_runtime_synchronize(rt) != BP_OK) {
    *why = bp_last_error_message();
    return -1;
  }
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto budget = std::chrono::duration<double>(seconds);
  uint64_t runs = 0;
  do {
    // Batches of runs between clock reads keep the measurement of tiny ops honest.
    for (int k = 0; k < 4; ++k, ++runs)
      if (once() != BP_OK) {
        *why = bp_last_error_message();
        return -1;
      }
    if (bp_runtime_synchronize(rt) != BP_OK) {
      *why = bp_last_error_message();
      return -1;
    }
  } while (clock::now() - start < budget);
  return std::chrono::duration<double>(clock::now() - start).count() / double(runs);
}

}  // namespace bp::conformance::detail
