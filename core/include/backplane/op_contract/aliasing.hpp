// backplane/op_contract/aliasing.hpp — which outputs of an op may share memory with
// which tensors (used by check_op when data pointers are given).
//
// Policy (what every backend can honour without a hidden copy):
//   - An output may be EXACTLY an input (same address, shape, strides and
//     dtype) only for ops that are element- or row-local and read each
//     element before writing it:
//       BIAS_ADD y = x; ACTIVATION_FWD y = x; ACTIVATION_BWD dx = y or dy;
//       ADD/SUB/MUL c = a or b; SCALE y = x; COPY y = x; SOFTMAX y = x;
//       SOFTMAX_BWD dx = y or dy.
//     ADAM_UPDATE / SGD_UPDATE update param, m, v, velocity in place by design
//     (they are outputs); their input grad must not be one of them.
//   - Every other output aliasing an input is refused (GEMM, CONV2D_*,
//     POOL2D_*, BIAS_GRAD, SOFTMAX_XENT_*, REDUCE, ARGMAX, the optimizers'
//     grad): those kernels read inputs after they start writing.
//   - Two outputs never share memory.
//   - A PARTIAL overlap (views sharing some but not all bytes) is always
//     refused. Inputs may share memory with each other freely.
#pragma once

#include <cstdint>
#include <string>

#include "backplane/abi.h"
#include "backplane/op_contract/tensor_rules.hpp"

namespace bp::contract {

namespace op_alias_detail {

// Half-open byte range a tensor's elements occupy (empty when no elements).
struct byte_range {
  uintptr_t begin = 0, end = 0;
  bool empty() const { return begin == end; }
};

inline byte_range range_of(const bp_tensor& t) {
  const int64_t n = numel(t);
  const uint64_t elem = dtype_bytes(t.dtype);
  if (n == 0 || t.data == nullptr || elem == 0) return {};
  const uintptr_t base = reinterpret_cast<uintptr_t>(t.data) + uintptr_t(t.byte_offset);
  if (t.strides == nullptr || is_compact(t)) return {base, base + uintptr_t(n) * uintptr_t(elem)};
  int64_t lo = 0, hi = 0;  // element offsets of the first and last addressed element
  for (int32_t i = 0; i < t.ndim; ++i) {
    const int64_t span = t.strides[i] * (t.shape[i] - 1);
    if (span < 0)
      lo += span;
    else
      hi += span;
  }
  return {base + uintptr_t(lo * int64_t(elem)), base + uintptr_t((hi + 1) * int64_t(elem))};
}

inline bool same_view(const bp_tensor& a, const bp_tensor& b) {
  if (reinterpret_cast<uintptr_t>(a.data) + a.byte_offset != reinterpret_cast<uintptr_t>(b.data) + b.byte_offset)
    return false;
  if (a.ndim != b.ndim || a.dtype.code != b.dtype.code || a.dtype.bits != b.dtype.bits || a.dtype.lanes != b.dtype.lanes)
    return false;
  for (int32_t i = 0; i < a.ndim; ++i)
    if (a.shape[i] != b.shape[i]) return false;
  const bool ca = is_compact(a), cb = is_compact(b);
  if (ca || cb) return ca && cb;
  for (int32_t i = 0; i < a.ndim; ++i)
    if (a.shape[i] > 1 && a.strides[i] != b.strides[i]) return false;
  return true;
}

// May output `out` be exactly input `in` for this op kind?
inline bool in_place_allowed(bp_op_kind kind, uint32_t out, uint32_t in) {
  switch (kind) {
    case BP_OP_BIAS_ADD:
    case BP_OP_ACTIVATION_FWD:
    case BP_OP_SCALE:
    case BP_OP_COPY:
    case BP_OP_SOFTMAX:
      return out == 0 && in == 0;
    case BP_OP_ACTIVATION_BWD:
    case BP_OP_SOFTMAX_BWD:
    case BP_OP_ADD:
    case BP_OP_SUB:
    case BP_OP_MUL:
      return out == 0 && in <= 1;
    default:
      return false;
  }
}

}  // namespace op_alias_detail

// BP_OK, or BP_ERR_INVALID_ARGUMENT with `why` naming both tensors. Assumes a
// structurally valid op (check_op runs this last, with data pointers given).
inline bp_status check_aliasing(const bp_op_desc& op, std::string* why) {
  using namespace op_alias_detail;
  for (uint32_t o = 0; o < op.num_outputs; ++o) {
    const byte_range ro = range_of(op.outputs[o]);
    if (ro.empty()) continue;
    for (uint32_t k = 0; k < op.num_inputs + op.num_outputs; ++k) {
      const bool is_input = k < op.num_inputs;
      const uint32_t idx = is_input ? k : k - op.num_inputs;
      if (!is_input && idx <= o) continue;  // each output pair once
      const bp_tensor& other = is_input ? op.inputs[idx] : op.outputs[idx];
      const byte_range rt = range_of(other);
      if (rt.empty() || ro.end <= rt.begin || rt.end <= ro.begin) continue;
      const std::string who = tensor_label(op.kind, false, o);
      const std::string whom = std::string(is_input ? "input " : "output ") + std::to_string(idx) + " (" +
                               tensor_role(op.kind, is_input, idx) + ")";
      if (!same_view(op.outputs[o], other)) {
        if (why) *why = who + " partially overlaps " + whom + "; views that share some but not all bytes are never allowed";
        return BP_ERR_INVALID_ARGUMENT;
      }
      if (is_input && in_place_allowed(op.kind, o, idx)) continue;
      if (why) {
        *why = who + " aliases " + whom;
        *why += is_input ? std::string("; ") + op_kind_name(op.kind) +
                               " cannot run in place (only element-wise ops may write over an input)"
                         : "; two outputs cannot share memory";
      }
      return BP_ERR_INVALID_ARGUMENT;
    }
  }
  return BP_OK;
}

}  // namespace bp::contract
