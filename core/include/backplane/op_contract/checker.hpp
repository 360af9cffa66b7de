// backplane/op_contract/checker.hpp — the building blocks of the op validator
// (backplane/op_contract.hpp): a checker over one descriptor that rejects with
// a message naming the op and the tensor by role, and the attribute checks
// every op kind shares.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "backplane/abi.h"
#include "backplane/op_contract/tensor_rules.hpp"

namespace bp::contract {

namespace op_check_detail {

// dilation*(window-1)+1 as text, without overflowing on hostile extents.
inline std::string effective_extent(int64_t dilation, int64_t window) {
  int64_t e = 0;
  if (window < 1 || __builtin_mul_overflow(dilation, window - 1, &e) || __builtin_add_overflow(e, int64_t{1}, &e))
    return "(overflows)";
  return std::to_string(e);
}

// A fixed-capacity shape (no allocation on the success path).
struct dims {
  int32_t ndim = 0;
  int64_t d[BP_MAX_DIMS] = {};
  dims() = default;
  dims(std::initializer_list<int64_t> l) {
    for (int64_t v : l) d[ndim++] = v;
  }
  static dims of(const bp_tensor& t) {
    dims r;
    r.ndim = t.ndim;
    for (int32_t i = 0; i < t.ndim; ++i) r.d[i] = t.shape[i];
    return r;
  }
  bool equals(const bp_tensor& t) const {
    if (t.ndim != ndim) return false;
    for (int32_t i = 0; i < ndim; ++i)
      if (t.shape[i] != d[i]) return false;
    return true;
  }
  std::string str() const { return shape_string(d, ndim); }
};

struct rejection {
  bp_status status;
  std::string message;
};

enum class dtype_rule { float32, int32, any_sized };

class checker {
 public:
  checker(const bp_op_desc& op, bool require_data) : op_(op), require_data_(require_data) {}

  [[noreturn]] void reject(const std::string& message, bp_status status = BP_ERR_INVALID_ARGUMENT) const {
    throw rejection{status, std::string(op_kind_name(op_.kind)) + message};
  }
  // message about tensor (is_input, index): "CONV2D_FWD input 1 (w): ..."
  [[noreturn]] void reject_tensor(bool is_input, uint32_t index, const std::string& message) const {
    throw rejection{BP_ERR_INVALID_ARGUMENT, tensor_label(op_.kind, is_input, index) + ": " + message};
  }

  const bp_tensor& in(uint32_t i) const { return op_.inputs[i]; }
  const bp_tensor& out(uint32_t i) const { return op_.outputs[i]; }
  uint32_t num_in() const { return op_.num_inputs; }
  uint32_t num_out() const { return op_.num_outputs; }

  void counts(uint32_t min_in, uint32_t max_in, uint32_t min_out, uint32_t max_out, const char* signature) const {
    auto range = [](uint32_t lo, uint32_t hi) {
      return lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi);
    };
    if (op_.num_inputs < min_in || op_.num_inputs > max_in)
      reject(": expected " + range(min_in, max_in) + " inputs " + signature + ", got " +
             std::to_string(op_.num_inputs));
    if (op_.num_outputs < min_out || op_.num_outputs > max_out)
      reject(": expected " + range(min_out, max_out) + " outputs " + signature + ", got " +
             std::to_string(op_.num_outputs));
    if (op_.num_inputs > 0 && op_.inputs == nullptr)
      reject(": inputs is NULL but num_inputs is " + std::to_string(op_.num_inputs));
    if (op_.num_outputs > 0 && op_.outputs == nullptr)
      reject(": outputs is NULL but num_outputs is " + std::to_string(op_.num_outputs));
  }

  template <typename A>
  const A& attrs(const char* type_name) const {
    if (op_.attrs == nullptr) reject(std::string(": attrs is NULL; expected a ") + type_name);
    const uint32_t size = *static_cast<const uint32_t*>(op_.attrs);
    // Every attribute struct is still at its v1.0 size, so sizeof(A) is the
    // minimum. When one grows in a later minor, compare against its v1.0 size
    // (pinned in abi.h) instead and give the new members defaults when absent.
    if (size < sizeof(A))
      reject(std::string(": attrs->struct_size is ") + std::to_string(size) + ", expected at least " +
             std::to_string(sizeof(A)) + " (" + type_name + " v1.0)");
    return *static_cast<const A*>(op_.attrs);
  }

  // Structural checks every tensor gets: rank, extents, overflow, dtype, strides, data.
  void tensor(bool is_input, uint32_t index, dtype_rule rule, bool allow_strides = false) const {
    const bp_tensor& t = is_input ? in(index) : out(index);
    if (t.ndim < 0 || t.ndim > BP_MAX_DIMS)
      reject_tensor(is_input, index, "ndim " + std::to_string(t.ndim) + " out of range 0.." +
                                         std::to_string(BP_MAX_DIMS));
    if (t.ndim > 0 && t.shape == nullptr) reject_tensor(is_input, index, "shape is NULL with ndim " + std::to_string(t.ndim));
    int64_t count = 1;
    for (int32_t i = 0; i < t.ndim; ++i) {
      if (t.shape[i] < 0)
        reject_tensor(is_input, index, "shape[" + std::to_string(i) + "] is " + std::to_string(t.shape[i]) +
                                           ", extents must be >= 0");
      if (__builtin_mul_overflow(count, t.shape[i], &count))
        reject_tensor(is_input, index, "element count of shape " + shape_string(t) + " overflows 64 bits");
    }
    // Kernels form partial products (outer x channels x inner) even when another
    // extent is 0, so the product of the NON-zero extents must fit too.
    int64_t nonzero = 1;
    for (int32_t i = 0; i < t.ndim; ++i) {
      if (t.shape[i] > 0 && __builtin_mul_overflow(nonzero, t.shape[i], &nonzero))
        reject_tensor(is_input, index, "extents of shape " + shape_string(t) + " multiply beyond 64 bits");
    }
    if (int64_t nonzero_bytes = 0; __builtin_mul_overflow(nonzero, int64_t{8}, &nonzero_bytes))
      reject_tensor(is_input, index, "extents of shape " + shape_string(t) + " multiply beyond 64-bit byte sizes");
    switch (rule) {
      case dtype_rule::float32:
        if (!is_float32(t.dtype)) reject_tensor(is_input, index, "dtype must be float32, got " + dtype_name(t.dtype));
        break;
      case dtype_rule::int32:
        if (!is_int32(t.dtype)) reject_tensor(is_input, index, "dtype must be int32, got " + dtype_name(t.dtype));
        break;
      case dtype_rule::any_sized:
        if (dtype_bytes(t.dtype) == 0)
          reject_tensor(is_input, index, "dtype " + dtype_name(t.dtype) + " has no whole-byte element size");
        break;
    }
    const uint64_t elem = dtype_bytes(t.dtype);
    int64_t bytes = 0;
    if (__builtin_mul_overflow(count, static_cast<int64_t>(elem), &bytes))
      reject_tensor(is_input, index, "byte size of shape " + shape_string(t) + " overflows 64 bits");
    if (t.strides != nullptr) {
      if (!allow_strides && !is_compact(t))
        reject_tensor(is_input, index, "strides " + shape_string(t.strides, t.ndim) +
                                           " are not compact row-major for shape " + shape_string(t) +
                                           " (pass NULL strides or compact ones; only COPY takes strided tensors)");
      if (allow_strides && count > 0) {
        int64_t span = 0, term = 0;
        for (int32_t i = 0; i < t.ndim; ++i) {
          const int64_t stride = t.strides[i] == INT64_MIN ? INT64_MAX : (t.strides[i] < 0 ? -t.strides[i] : t.strides[i]);
          if (t.strides[i] == INT64_MIN || __builtin_mul_overflow(stride, t.shape[i] - 1, &term) ||
              __builtin_add_overflow(span, term, &span))
            reject_tensor(is_input, index, "strides " + shape_string(t.strides, t.ndim) + " with shape " +
                                               shape_string(t) + " address beyond 64 bits");
        }
        // Kernels compute byte addresses: the farthest byte must be addressable too.
        int64_t reach_bytes = 0;
        if (__builtin_add_overflow(span, int64_t{1}, &reach_bytes) ||
            __builtin_mul_overflow(reach_bytes, static_cast<int64_t>(elem), &reach_bytes) ||
            __builtin_add_overflow(reach_bytes, static_cast<int64_t>(t.byte_offset > INT64_MAX ? INT64_MAX : t.byte_offset),
                                   &reach_bytes))
          reject_tensor(is_input, index, "strides " + shape_string(t.strides, t.ndim) + " with shape " + shape_string(t) +
                                             " reach bytes beyond 64 bits");
      }
    }
    if (require_data_ && count > 0) {
      if (t.data == nullptr) reject_tensor(is_input, index, "data is NULL for a tensor of shape " + shape_string(t));
      const uint64_t align = elem < 8 ? elem : 8;
      const uint64_t address = reinterpret_cast<uintptr_t>(t.data) + t.byte_offset;
      if (align > 1 && address % align != 0)
        reject_tensor(is_input, index, "data + byte_offset is not aligned to " + std::to_string(align) + " bytes");
    }
  }

  void rank(bool is_input, uint32_t index, int32_t expected, const char* meaning) const {
    const bp_tensor& t = is_input ? in(index) : out(index);
    if (t.ndim != expected)
      reject_tensor(is_input, index, "expected rank " + std::to_string(expected) + " " + meaning + ", got rank " +
                                         std::to_string(t.ndim) + " shape " + shape_string(t));
  }
  void min_rank(bool is_input, uint32_t index, int32_t minimum, const char* meaning) const {
    const bp_tensor& t = is_input ? in(index) : out(index);
    if (t.ndim < minimum)
      reject_tensor(is_input, index, "expected rank >= " + std::to_string(minimum) + " " + meaning + ", got rank " +
                                         std::to_string(t.ndim));
  }
  void shape(bool is_input, uint32_t index, const dims& expected, const std::string& because) const {
    const bp_tensor& t = is_input ? in(index) : out(index);
    if (!expected.equals(t))
      reject_tensor(is_input, index, "expected shape " + expected.str() + because + ", got " + shape_string(t));
  }
  // Same shape as input `ref`.
  void same_shape(bool is_input, uint32_t index, uint32_t ref_input) const {
    shape(is_input, index, dims::of(in(ref_input)),
          std::string(" (same as ") + tensor_label(op_.kind, true, ref_input) + ")");
  }

  const bp_op_desc& op() const { return op_; }

 private:
  const bp_op_desc& op_;
  bool require_data_;
};

inline const char* layout_name(bp_layout l) { return l == BP_LAYOUT_NCHW ? "NCHW" : "NHWC"; }
inline const char* padding_name(bp_padding p) {
  return p == BP_PADDING_SAME ? "SAME" : p == BP_PADDING_EXPLICIT ? "EXPLICIT" : "VALID";
}

inline void check_layout(const checker& c, bp_layout layout) {
  if (layout != BP_LAYOUT_NHWC && layout != BP_LAYOUT_NCHW)
    c.reject(": attrs->layout " + std::to_string(layout) + " is not NHWC (0) or NCHW (1)");
}
inline void check_padding(const checker& c, bp_padding padding) {
  if (padding != BP_PADDING_VALID && padding != BP_PADDING_SAME && padding != BP_PADDING_EXPLICIT)
    c.reject(": attrs->padding " + std::to_string(padding) + " is not VALID (0), SAME (1) or EXPLICIT (2)");
}
inline void check_positive(const checker& c, const char* name, int64_t value) {
  if (value < 1) c.reject(std::string(": attrs->") + name + " must be >= 1, got " + std::to_string(value));
}
inline void check_activation(const checker& c, bp_activation a) {
  if (a < BP_ACTIVATION_NONE || a > BP_ACTIVATION_TANH)
    c.reject(": attrs->activation " + std::to_string(a) + " is not NONE (0), RELU (1), SIGMOID (2) or TANH (3)");
}
inline void check_flag(const checker& c, const char* name, int32_t value) {
  if (value != 0 && value != 1) c.reject(std::string(": attrs->") + name + " must be 0 or 1, got " + std::to_string(value));
}
inline void check_reduce_mode(const checker& c, const char* name, bp_reduce_mode m) {
  if (m != BP_REDUCE_SUM && m != BP_REDUCE_MEAN)
    c.reject(std::string(": attrs->") + name + " " + std::to_string(m) + " is not SUM (0) or MEAN (1)");
}
inline void check_finite(const checker& c, const char* name, float v) {
  if (!std::isfinite(v)) c.reject(std::string(": attrs->") + name + " must be finite, got " + std::to_string(v));
}

// (N, H, W, C) or (N, C, H, W) from logical parts.
inline dims image_dims(bool nchw, int64_t n, int64_t h, int64_t w, int64_t c) {
  return nchw ? dims{n, c, h, w} : dims{n, h, w, c};
}

inline void check_conv(const checker& c);
inline void check_pool(const checker& c);
inline void check_simple(const checker& c);

}  // namespace op_check_detail

}  // namespace bp::contract
