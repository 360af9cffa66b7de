// contract_checks.cpp — errors.alignment, errors.bounds and errors.declines:
// promises of the ABI that ordinary runs hide. Allocation rounding hides a
// kernel that writes one element past its output, a tensor at byte_offset 0
// hides a kernel that ignores byte_offset, and a decline returned as
// BP_ERR_INTERNAL looks like a decline to a host that only tests for BP_OK.
// Driven on the plugin's raw table (raw_checks.cpp calls these in its child).
#include <cmath>
#include <algorithm>
#include <cstring>
#include <vector>

#include "backplane/sdk/op_check.hpp"
#include "checks.hpp"

namespace bp::conformance::detail {
namespace {

constexpr uint64_t kAlignment = 64;        // the ABI's promise for mem_alloc
constexpr uint64_t kGuard = 64;            // bytes of guard on each side of a placed tensor
constexpr unsigned char kGuardByte = 0x4B; // 0x4B4B4B4B: 1.3e7 as float, far from any result of zero inputs

uint64_t tensor_bytes(const bp_tensor& t) {
  uint64_t n = 1;
  for (int32_t d = 0; d < t.ndim; ++d) n *= uint64_t(t.shape[d]);
  return n * ((uint64_t(t.dtype.bits) * t.dtype.lanes + 7) / 8);
}

// Every tensor of `op` (inputs, then outputs) in its own allocation: `offset`
// guard bytes, the tensor (zeros) at byte_offset `offset`, then `tail` guard
// bytes. After one op_execute, `images` holds each whole allocation.
std::string run_placed(const bp_plugin_api* t, void* ctx, const bp_op_desc& op, uint64_t offset, uint64_t tail,
                       std::vector<std::vector<unsigned char>>& images) {
  std::vector<bp_tensor> in(op.inputs, op.inputs + op.num_inputs), out(op.outputs, op.outputs + op.num_outputs);
  std::vector<bp_tensor*> all;
  for (auto& v : in) all.push_back(&v);
  for (auto& v : out) all.push_back(&v);
  std::vector<void*> blocks;
  std::string problem;
  images.assign(all.size(), {});
  for (size_t i = 0; i < all.size() && problem.empty(); ++i) {
    const uint64_t bytes = tensor_bytes(*all[i]);
    std::vector<unsigned char>& image = images[i];
    image.assign(offset + bytes + tail, kGuardByte);
    std::memset(image.data() + offset, 0, bytes);
    void* p = nullptr;
    if (t->mem_alloc(ctx, 0, image.size(), &p) != BP_OK || !p) {
      problem = "mem_alloc(" + std::to_string(image.size()) + ") failed";
      break;
    }
    blocks.push_back(p);
    if (t->mem_copy(ctx, 0, nullptr, p, image.data(), image.size(), BP_MEMCPY_HOST_TO_DEVICE) != BP_OK)
      problem = "mem_copy to the device failed";
    all[i]->data = p;
    all[i]->byte_offset = offset;
  }
  if (problem.empty() && t->stream_synchronize(ctx, 0, nullptr) != BP_OK) problem = "stream_synchronize failed";
  if (problem.empty()) {
    bp_op_desc placed = op;
    placed.inputs = in.data();
    placed.outputs = out.data();
    const bp_status s = t->op_execute(ctx, 0, nullptr, &placed);
    if (s != BP_OK)
      problem = "op_execute with every tensor at byte_offset " + std::to_string(offset) + " returned status " + std::to_string(s);
  }
  if (problem.empty() && t->stream_synchronize(ctx, 0, nullptr) != BP_OK) problem = "stream_synchronize failed";
  for (size_t i = 0; i < blocks.size() && problem.empty(); ++i)
    if (t->mem_copy(ctx, 0, nullptr, images[i].data(), blocks[i], images[i].size(), BP_MEMCPY_DEVICE_TO_HOST) != BP_OK)
      problem = "mem_copy from the device failed";
  t->stream_synchronize(ctx, 0, nullptr);
  for (void* p : blocks) t->mem_free(ctx, 0, p);
  return problem;
}

// "" when the placed tensor equals the baseline (float32 within rounding: another
// alignment may take another vector path; other dtypes byte for byte).
std::string compare_placed(const bp_tensor& v, const unsigned char* got, const std::vector<unsigned char>& want) {
  const bool floats = v.dtype.code == BP_DTYPE_FLOAT && v.dtype.bits == 32 && v.dtype.lanes == 1;
  for (size_t i = 0; i < want.size(); i += 4) {
    if (floats) {
      float g, w;
      std::memcpy(&g, got + i, 4);
      std::memcpy(&w, want.data() + i, 4);
      if ((std::isnan(g) && std::isnan(w)) || std::fabs(double(g) - double(w)) <= 1e-5 + 1e-4 * std::fabs(double(w))) continue;
      return "element " + std::to_string(i / 4) + " is " + std::to_string(g) + " at byte_offset " + std::to_string(kGuard) +
             " but " + std::to_string(w) + " at byte_offset 0 (does a kernel ignore byte_offset?)";
    }
    if (std::memcmp(got + i, want.data() + i, std::min<size_t>(4, want.size() - i)) != 0)
      return "bytes from " + std::to_string(i) + " differ between byte_offset " + std::to_string(kGuard) +
             " and byte_offset 0 (does a kernel ignore byte_offset?)";
  }
  return "";
}

}  // namespace

std::string alignment_problem(const bp_plugin_api* t, void* ctx) {
  for (uint64_t bytes : {uint64_t(1), uint64_t(4), uint64_t(100), uint64_t(4100), uint64_t(1) << 20}) {
    void* p = nullptr;
    const bp_status s = t->mem_alloc(ctx, 0, bytes, &p);
    if (s != BP_OK) return "mem_alloc(" + std::to_string(bytes) + ") returned status " + std::to_string(s);
    const uintptr_t address = reinterpret_cast<uintptr_t>(p);
    t->mem_free(ctx, 0, p);
    if (address % kAlignment != 0)
      return "mem_alloc(" + std::to_string(bytes) + ") returned an address aligned to " +
             std::to_string(address & (~address + 1)) + " bytes; the ABI promises " + std::to_string(kAlignment);
  }
  return "";
}

std::string bounds_problem(const bp_plugin_api* t, void* ctx, const bp_op_desc& op) {
  std::vector<std::vector<unsigned char>> baseline, placed;
  if (std::string p = run_placed(t, ctx, op, 0, 0, baseline); !p.empty()) return p;
  if (std::string p = run_placed(t, ctx, op, kGuard, kGuard, placed); !p.empty()) return p;
  for (size_t i = 0; i < placed.size(); ++i) {
    const bool input = i < op.num_inputs;
    const uint32_t index = uint32_t(input ? i : i - op.num_inputs);
    const bp_tensor& v = input ? op.inputs[index] : op.outputs[index];
    const std::string role = bp::sdk::tensor_label(op.kind, input, index);
    const std::vector<unsigned char>& image = placed[i];
    const size_t end = image.size() - kGuard;
    for (size_t b = 0; b < kGuard; ++b)
      if (image[b] != kGuardByte)
        return role + ": byte " + std::to_string(kGuard - b) + " before the tensor was written (does a kernel ignore byte_offset?)";
    for (size_t b = end; b < image.size(); ++b)
      if (image[b] != kGuardByte)
        return role + ": byte " + std::to_string(b - end) + " past the tensor's end was written (element " +
               std::to_string((b - end) / 4) + " past it)";
    if (std::string p = compare_placed(v, image.data() + kGuard, baseline[i]); !p.empty()) return role + ": " + p;
  }
  return "";
}

std::string decline_problem(const bp_plugin_api* t, void* ctx, const bp_device& device) {
  for (const op_case& c : all_cases()) {
    std::vector<std::vector<int64_t>> shapes;
    std::vector<bp_tensor> in, out;
    shapes.resize(c.inputs.size() + c.outputs.size());
    size_t k = 0;
    auto view = [&](const tensor_spec& s) {
      shapes[k] = s.shape;
      bp_tensor v{};
      v.device = device;
      v.ndim = int32_t(s.shape.size());
      v.dtype = s.dtype;
      v.shape = shapes[k++].data();
      return v;
    };
    for (const tensor_spec& s : c.inputs) in.push_back(view(s));
    for (const tensor_spec& s : c.outputs) out.push_back(view(s));
    bp_op_desc d{};
    d.struct_size = sizeof d;
    d.kind = c.kind;
    d.attrs = c.attrs_ptr();
    d.inputs = in.data();
    d.outputs = out.data();
    d.num_inputs = uint32_t(in.size());
    d.num_outputs = uint32_t(out.size());
    char reason[512] = {0};
    const bp_status s = t->op_supports(ctx, 0, &d, reason, sizeof reason);
    if (s == BP_ERR_INTERNAL)
      return "'" + c.label + "': op_supports returned BP_ERR_INTERNAL (" + reason +
             "): a decline is BP_ERR_UNSUPPORTED with a reason; BP_ERR_INTERNAL says the plugin itself failed";
  }
  return "";
}

}  // namespace bp::conformance::detail
