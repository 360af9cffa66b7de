// backplane/sdk/op_check.hpp — the one validator of op descriptors, shared by
// the core (before every dispatch) and every plugin (op_supports / execute).
//
//   bp_status bp::sdk::check_op(const bp_op_desc& op, bool require_data, std::string* why);
//
// Returns BP_OK when `op` is a well-formed v1 op: sizes of the descriptor and
// its attribute struct, attribute ranges, tensor counts, ranks, dtypes,
// compactness, element-count overflow and full shape consistency (the rules
// written next to each op kind in abi.h). With require_data, every tensor with
// elements must have a non-NULL, element-aligned data pointer, and outputs
// must respect the aliasing policy of op_alias.hpp. Otherwise
// returns BP_ERR_INVALID_ARGUMENT (BP_ERR_UNSUPPORTED for an op kind newer
// than this header) and, when `why` is non-NULL, a message naming the op, the
// tensor by role ("CONV2D_FWD input 1 (w)") and the expected vs actual values.
//
// Data-dependent conditions (label values in range) are the executing
// backend's job; the validator never reads tensor contents.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "backplane/abi.h"
#include "backplane/sdk/op_alias.hpp"
#include "backplane/sdk/tensor_util.hpp"

namespace bp::sdk {

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

// See the file comment. Never throws.
inline bp_status check_op(const bp_op_desc& op, bool require_data, std::string* why) noexcept {
  using namespace op_check_detail;
  try {
    checker c(op, require_data);
    if (op.struct_size < sizeof(bp_op_desc))
      throw rejection{BP_ERR_INVALID_ARGUMENT, "op descriptor struct_size is " + std::to_string(op.struct_size) +
                                                   ", expected at least " + std::to_string(sizeof(bp_op_desc)) +
                                                   " (bp_op_desc v1.0)"};
    if (op.kind <= BP_OP_INVALID)
      throw rejection{BP_ERR_INVALID_ARGUMENT, "op kind " + std::to_string(op.kind) + " is not a valid op kind"};
    if (op.kind >= BP_OP_KIND_COUNT_)
      throw rejection{BP_ERR_UNSUPPORTED, "unknown op kind " + std::to_string(op.kind) + " (this build knows 1.." +
                                              std::to_string(BP_OP_KIND_COUNT_ - 1) + ", ABI v" +
                                              std::to_string(BP_ABI_VERSION_MAJOR) + "." +
                                              std::to_string(BP_ABI_VERSION_MINOR) + ")"};
    switch (op.kind) {
      case BP_OP_CONV2D_FWD:
      case BP_OP_CONV2D_BWD_DATA:
      case BP_OP_CONV2D_BWD_FILTER:
        check_conv(c);
        break;
      case BP_OP_POOL2D_FWD:
      case BP_OP_POOL2D_BWD:
        check_pool(c);
        break;
      default:
        check_simple(c);
        break;
    }
    // Aliasing needs real addresses (capability queries may pass none).
    if (require_data) return check_aliasing(op, why);
    return BP_OK;
  } catch (const rejection& r) {
    if (why) {
      try {
        *why = r.message;
      } catch (...) {
      }
    }
    return r.status;
  } catch (...) {
    if (why) {
      try {
        *why = "check_op: out of memory while validating";
      } catch (...) {
      }
    }
    return BP_ERR_OUT_OF_MEMORY;
  }
}

namespace op_check_detail {

inline void check_conv(const checker& c) {
  const bp_op_kind kind = c.op().kind;
  const auto& a = c.attrs<bp_conv2d_attrs>("bp_conv2d_attrs");
  check_layout(c, a.layout);
  check_padding(c, a.padding);
  check_positive(c, "stride_h", a.stride_h);
  check_positive(c, "stride_w", a.stride_w);
  check_positive(c, "dilation_h", a.dilation_h);
  check_positive(c, "dilation_w", a.dilation_w);
  // Ignored by the backward kinds, but still must be a known value.
  check_activation(c, a.activation);
  if (a.padding == BP_PADDING_EXPLICIT) {
    if (a.pad_top < 0 || a.pad_bottom < 0 || a.pad_left < 0 || a.pad_right < 0)
      c.reject(": EXPLICIT pads must be >= 0, got top " + std::to_string(a.pad_top) + " bottom " +
               std::to_string(a.pad_bottom) + " left " + std::to_string(a.pad_left) + " right " +
               std::to_string(a.pad_right));
  }
  const bool nchw = a.layout == BP_LAYOUT_NCHW;
  const char* img = nchw ? "(N,C,H,W)" : "(N,H,W,C)";
  const char* flt = nchw ? "(K,C,R,S) [OIHW]" : "(K,R,S,C) [OHWI]";
  // Which tensor holds the image, the filter and the output-side gradient.
  bool x_in = true, w_in = true, y_in = false;
  uint32_t xi = 0, wi = 1, yi = 0;
  if (kind == BP_OP_CONV2D_FWD) {
    c.counts(2, 3, 1, 1, "(x, w[, bias]; y)");
  } else if (kind == BP_OP_CONV2D_BWD_DATA) {
    c.counts(2, 2, 1, 1, "(dy, w; dx)");
    x_in = false, xi = 0, w_in = true, wi = 1, y_in = true, yi = 0;
  } else {
    c.counts(2, 2, 1, 1, "(x, dy; dw)");
    x_in = true, xi = 0, w_in = false, wi = 0, y_in = true, yi = 1;
  }
  for (uint32_t i = 0; i < c.num_in(); ++i) c.tensor(true, i, dtype_rule::float32);
  c.tensor(false, 0, dtype_rule::float32);
  c.rank(x_in, xi, 4, img);
  c.rank(w_in, wi, 4, flt);
  c.rank(y_in, yi, 4, img);
  const bp_tensor& x = x_in ? c.in(xi) : c.out(xi);
  const bp_tensor& w = w_in ? c.in(wi) : c.out(wi);
  const conv_geometry g = make_conv_geometry(a, x.shape, w.shape);
  const int64_t w_channels = nchw ? w.shape[1] : w.shape[3];
  if (w_channels != g.c)
    c.reject_tensor(w_in, wi, "filter " + std::string(flt) + " has " + std::to_string(w_channels) +
                                  " input channels but " + tensor_label(kind, x_in, xi) + " has C=" +
                                  std::to_string(g.c) + " (shape " + shape_string(w) + ")");
  if (g.p < 0 || g.q < 0)
    c.reject(": the " + std::to_string(g.r) + "x" + std::to_string(g.s) + " filter with dilation " +
             std::to_string(g.dil_h) + "x" + std::to_string(g.dil_w) + " (effective " +
             effective_extent(g.dil_h, g.r) + "x" + effective_extent(g.dil_w, g.s) + ") does not fit the " + std::to_string(g.h) + "x" + std::to_string(g.w) + " input with " +
             padding_name(a.padding) + " padding");
  const std::string because = std::string(" (") + layout_name(a.layout) + " output of a " + std::to_string(g.r) + "x" +
                              std::to_string(g.s) + " conv, stride " + std::to_string(g.stride_h) + "x" +
                              std::to_string(g.stride_w) + ", dilation " + std::to_string(g.dil_h) + "x" +
                              std::to_string(g.dil_w) + ", " + padding_name(a.padding) + " padding, K=" +
                              std::to_string(g.k) + ")";
  c.shape(y_in, yi, image_dims(nchw, g.n, g.p, g.q, g.k), because);
  if (kind == BP_OP_CONV2D_FWD && c.num_in() == 3) {
    c.rank(true, 2, 1, "(K)");
    c.shape(true, 2, dims{g.k}, " (one bias per output channel K)");
  }
}

inline void check_pool(const checker& c) {
  const bp_op_kind kind = c.op().kind;
  const auto& a = c.attrs<bp_pool2d_attrs>("bp_pool2d_attrs");
  check_layout(c, a.layout);
  check_padding(c, a.padding);
  if (a.mode != BP_POOL_MAX && a.mode != BP_POOL_AVG)
    c.reject(": attrs->mode " + std::to_string(a.mode) + " is not MAX (0) or AVG (1)");
  check_positive(c, "window_h", a.window_h);
  check_positive(c, "window_w", a.window_w);
  check_positive(c, "stride_h", a.stride_h);
  check_positive(c, "stride_w", a.stride_w);
  if (a.padding == BP_PADDING_EXPLICIT) {
    // A pad of a whole window would make a window with no input element in it.
    const int32_t pads[4] = {a.pad_top, a.pad_bottom, a.pad_left, a.pad_right};
    const int32_t wins[4] = {a.window_h, a.window_h, a.window_w, a.window_w};
    const char* names[4] = {"pad_top", "pad_bottom", "pad_left", "pad_right"};
    for (int i = 0; i < 4; ++i)
      if (pads[i] < 0 || pads[i] >= wins[i])
        c.reject(std::string(": attrs->") + names[i] + " must be in [0, window) = [0, " + std::to_string(wins[i]) +
                 "), got " + std::to_string(pads[i]));
  }
  if (kind == BP_OP_POOL2D_FWD)
    c.counts(1, 1, 1, 1, "(x; y)");
  else
    c.counts(3, 3, 1, 1, "(x, y, dy; dx)");
  const bool nchw = a.layout == BP_LAYOUT_NCHW;
  const char* img = nchw ? "(N,C,H,W)" : "(N,H,W,C)";
  for (uint32_t i = 0; i < c.num_in(); ++i) c.tensor(true, i, dtype_rule::float32);
  c.tensor(false, 0, dtype_rule::float32);
  c.rank(true, 0, 4, img);
  const pool_geometry g = make_pool_geometry(a, c.in(0).shape);
  if (g.p < 0 || g.q < 0)
    c.reject(": the " + std::to_string(g.win_h) + "x" + std::to_string(g.win_w) + " window does not fit the " +
             std::to_string(g.h) + "x" + std::to_string(g.w) + " input with " + padding_name(a.padding) + " padding");
  const dims pooled = image_dims(nchw, g.n, g.p, g.q, g.c);
  const std::string because = std::string(" (") + layout_name(a.layout) + " output of a " +
                              std::to_string(g.win_h) + "x" + std::to_string(g.win_w) + " pool, stride " +
                              std::to_string(g.stride_h) + "x" + std::to_string(g.stride_w) + ", " +
                              padding_name(a.padding) + " padding)";
  if (kind == BP_OP_POOL2D_FWD) {
    c.shape(false, 0, pooled, because);
  } else {
    c.shape(true, 1, pooled, because);
    c.shape(true, 2, pooled, because);
    c.same_shape(false, 0, 0);
  }
}

// Channel extent for BIAS_ADD / BIAS_GRAD, with the layout's rank rule.
inline int64_t bias_channels(const checker& c, bool is_input, uint32_t index, bp_layout layout) {
  const bp_tensor& t = is_input ? c.in(index) : c.out(index);
  if (layout == BP_LAYOUT_NCHW)
    c.min_rank(is_input, index, 2, "(N,C,...) for NCHW");
  else
    c.min_rank(is_input, index, 1, "(...,C) for NHWC");
  return t.shape[channel_axis(layout, t.ndim)];
}

inline void check_simple(const checker& c) {
  const auto f32 = dtype_rule::float32;
  switch (c.op().kind) {
    case BP_OP_BIAS_ADD: {
      const auto& a = c.attrs<bp_layout_attrs>("bp_layout_attrs");
      check_layout(c, a.layout);
      c.counts(2, 2, 1, 1, "(x, b; y)");
      c.tensor(true, 0, f32), c.tensor(true, 1, f32), c.tensor(false, 0, f32);
      const int64_t ch = bias_channels(c, true, 0, a.layout);
      c.rank(true, 1, 1, "(C)");
      c.shape(true, 1, dims{ch}, std::string(" (channel extent of input 0 (x), ") + layout_name(a.layout) + ")");
      c.same_shape(false, 0, 0);
      break;
    }
    case BP_OP_BIAS_GRAD: {
      const auto& a = c.attrs<bp_layout_attrs>("bp_layout_attrs");
      check_layout(c, a.layout);
      c.counts(1, 1, 1, 1, "(dy; db)");
      c.tensor(true, 0, f32), c.tensor(false, 0, f32);
      const int64_t ch = bias_channels(c, true, 0, a.layout);
      c.rank(false, 0, 1, "(C)");
      c.shape(false, 0, dims{ch}, std::string(" (channel extent of input 0 (dy), ") + layout_name(a.layout) + ")");
      break;
    }
    case BP_OP_ACTIVATION_FWD:
    case BP_OP_ACTIVATION_BWD: {
      const auto& a = c.attrs<bp_activation_attrs>("bp_activation_attrs");
      check_activation(c, a.activation);
      const bool fwd = c.op().kind == BP_OP_ACTIVATION_FWD;
      if (fwd)
        c.counts(1, 1, 1, 1, "(x; y)");
      else
        c.counts(2, 2, 1, 1, "(y, dy; dx)");
      for (uint32_t i = 0; i < c.num_in(); ++i) c.tensor(true, i, f32);
      c.tensor(false, 0, f32);
      if (!fwd) c.same_shape(true, 1, 0);
      c.same_shape(false, 0, 0);
      break;
    }
    case BP_OP_GEMM: {
      const auto& a = c.attrs<bp_gemm_attrs>("bp_gemm_attrs");
      check_flag(c, "trans_a", a.trans_a);
      check_flag(c, "trans_b", a.trans_b);
      c.counts(2, 2, 1, 1, "(a, b; c)");
      c.tensor(true, 0, f32), c.tensor(true, 1, f32), c.tensor(false, 0, f32);
      c.rank(true, 0, 2, a.trans_a ? "(K,M) [trans_a]" : "(M,K)");
      c.rank(true, 1, 2, a.trans_b ? "(N,K) [trans_b]" : "(K,N)");
      c.rank(false, 0, 2, "(M,N)");
      const bp_tensor& ta = c.in(0);
      const bp_tensor& tb = c.in(1);
      const int64_t m = a.trans_a ? ta.shape[1] : ta.shape[0];
      const int64_t k = a.trans_a ? ta.shape[0] : ta.shape[1];
      const int64_t kb = a.trans_b ? tb.shape[1] : tb.shape[0];
      const int64_t n = a.trans_b ? tb.shape[0] : tb.shape[1];
      if (kb != k)
        c.reject_tensor(true, 1, "inner dimension K=" + std::to_string(kb) + " of op(b) " +
                                     (a.trans_b ? "(trans_b) " : "") + "does not match K=" + std::to_string(k) +
                                     " of op(a) " + (a.trans_a ? "(trans_a) " : "") + "from input 0 (a) shape " +
                                     shape_string(ta) + "; b shape " + shape_string(tb));
      c.shape(false, 0, dims{m, n}, " (M from op(a), N from op(b))");
      break;
    }
    case BP_OP_SOFTMAX:
    case BP_OP_SOFTMAX_BWD: {
      const auto& a = c.attrs<bp_softmax_attrs>("bp_softmax_attrs");
      check_flag(c, "log", a.log);
      const bool fwd = c.op().kind == BP_OP_SOFTMAX;
      if (fwd)
        c.counts(1, 1, 1, 1, "(x; y)");
      else
        c.counts(2, 2, 1, 1, "(y, dy; dx)");
      for (uint32_t i = 0; i < c.num_in(); ++i) c.tensor(true, i, f32);
      c.tensor(false, 0, f32);
      c.min_rank(true, 0, 1, "(softmax over the last axis)");
      if (!fwd) c.same_shape(true, 1, 0);
      c.same_shape(false, 0, 0);
      break;
    }
    case BP_OP_SOFTMAX_XENT_FWD:
    case BP_OP_SOFTMAX_XENT_BWD: {
      const auto& a = c.attrs<bp_xent_attrs>("bp_xent_attrs");
      check_reduce_mode(c, "reduction", a.reduction);
      const bool fwd = c.op().kind == BP_OP_SOFTMAX_XENT_FWD;
      if (fwd)
        c.counts(2, 2, 2, 2, "(logits, labels; loss, probs)");
      else
        c.counts(2, 2, 1, 1, "(probs, labels; dlogits)");
      c.tensor(true, 0, f32), c.tensor(true, 1, dtype_rule::int32);
      for (uint32_t i = 0; i < c.num_out(); ++i) c.tensor(false, i, f32);
      c.rank(true, 0, 2, "(N,C)");
      const int64_t n = c.in(0).shape[0], classes = c.in(0).shape[1];
      if (classes < 1) c.reject_tensor(true, 0, "needs at least one class, got shape " + shape_string(c.in(0)));
      c.rank(true, 1, 1, "(N)");
      c.shape(true, 1, dims{n}, " (one label per row of input 0)");
      if (fwd) {
        const bp_tensor& loss = c.out(0);
        if (!(loss.ndim == 0 || (loss.ndim == 1 && loss.shape[0] == 1)))
          c.reject_tensor(false, 0, "expected a scalar: shape () or (1), got " + shape_string(loss));
        c.same_shape(false, 1, 0);
      } else {
        c.same_shape(false, 0, 0);
      }
      break;
    }
    case BP_OP_ADAM_UPDATE: {
      const auto& a = c.attrs<bp_adam_attrs>("bp_adam_attrs");
      check_finite(c, "lr", a.lr);
      check_finite(c, "epsilon", a.epsilon);
      if (a.lr < 0) c.reject(": attrs->lr must be >= 0, got " + std::to_string(a.lr));
      if (!(a.beta1 >= 0 && a.beta1 < 1)) c.reject(": attrs->beta1 must be in [0, 1), got " + std::to_string(a.beta1));
      if (!(a.beta2 >= 0 && a.beta2 < 1)) c.reject(": attrs->beta2 must be in [0, 1), got " + std::to_string(a.beta2));
      if (a.epsilon < 0) c.reject(": attrs->epsilon must be >= 0, got " + std::to_string(a.epsilon));
      if (a.step < 1) c.reject(": attrs->step must be >= 1 (t starts at 1), got " + std::to_string(a.step));
      c.counts(1, 1, 3, 3, "(grad; param, m, v)");
      c.tensor(true, 0, f32);
      for (uint32_t i = 0; i < 3; ++i) c.tensor(false, i, f32), c.same_shape(false, i, 0);
      break;
    }
    case BP_OP_SGD_UPDATE: {
      const auto& a = c.attrs<bp_sgd_attrs>("bp_sgd_attrs");
      check_finite(c, "lr", a.lr);
      check_finite(c, "momentum", a.momentum);
      if (a.momentum < 0) c.reject(": attrs->momentum must be >= 0, got " + std::to_string(a.momentum));
      check_flag(c, "nesterov", a.nesterov);
      c.counts(1, 1, 1, 2, "(grad; param[, velocity])");
      if (a.momentum != 0 && c.num_out() < 2)
        c.reject(": momentum " + std::to_string(a.momentum) +
                 " needs output 1 (velocity); got only output 0 (param)");
      c.tensor(true, 0, f32);
      for (uint32_t i = 0; i < c.num_out(); ++i) c.tensor(false, i, f32), c.same_shape(false, i, 0);
      break;
    }
    case BP_OP_ADD:
    case BP_OP_SUB:
    case BP_OP_MUL:
      c.counts(2, 2, 1, 1, "(a, b; c)");
      c.tensor(true, 0, f32), c.tensor(true, 1, f32), c.tensor(false, 0, f32);
      c.same_shape(true, 1, 0);
      c.same_shape(false, 0, 0);
      break;
    case BP_OP_SCALE:
      c.attrs<bp_scalar_attrs>("bp_scalar_attrs");
      c.counts(1, 1, 1, 1, "(x; y)");
      c.tensor(true, 0, f32), c.tensor(false, 0, f32);
      c.same_shape(false, 0, 0);
      break;
    case BP_OP_FILL:
      c.attrs<bp_scalar_attrs>("bp_scalar_attrs");
      c.counts(0, 0, 1, 1, "(; y)");
      c.tensor(false, 0, f32);
      break;
    case BP_OP_COPY: {
      c.counts(1, 1, 1, 1, "(x; y)");
      c.tensor(true, 0, dtype_rule::any_sized, true);
      c.tensor(false, 0, dtype_rule::any_sized, true);
      const bp_dtype dx = c.in(0).dtype, dy = c.out(0).dtype;
      if (dx.code != dy.code || dx.bits != dy.bits || dx.lanes != dy.lanes)
        c.reject_tensor(false, 0, "dtype " + dtype_name(dy) + " differs from input 0 (x) dtype " + dtype_name(dx));
      c.same_shape(false, 0, 0);
      break;
    }
    case BP_OP_REDUCE: {
      const auto& a = c.attrs<bp_reduce_attrs>("bp_reduce_attrs");
      check_reduce_mode(c, "mode", a.mode);
      c.counts(1, 1, 1, 1, "(x; y)");
      c.tensor(true, 0, f32), c.tensor(false, 0, f32);
      const bp_tensor& x = c.in(0);
      const bp_tensor& y = c.out(0);
      if (a.axis == -1) {
        if (numel(y) != 1) c.reject_tensor(false, 0, "reducing all axes needs one element, got shape " + shape_string(y));
      } else {
        if (a.axis < 0 || a.axis >= x.ndim)
          c.reject(": attrs->axis " + std::to_string(a.axis) + " is not -1 (all) or an axis of input 0 (x) rank " +
                   std::to_string(x.ndim));
        dims kept = dims::of(x), dropped;
        kept.d[a.axis] = 1;
        for (int32_t i = 0; i < x.ndim; ++i)
          if (i != a.axis) dropped.d[dropped.ndim++] = x.shape[i];
        if (!kept.equals(y) && !dropped.equals(y))
          c.reject_tensor(false, 0, "expected shape " + kept.str() + " or " + dropped.str() + " (input 0 (x) shape " +
                                        shape_string(x) + " reduced over axis " + std::to_string(a.axis) + "), got " +
                                        shape_string(y));
      }
      break;
    }
    case BP_OP_ARGMAX: {
      c.counts(1, 1, 1, 1, "(x; idx)");
      c.tensor(true, 0, f32), c.tensor(false, 0, dtype_rule::int32);
      c.min_rank(true, 0, 1, "(argmax over the last axis)");
      const bp_tensor& x = c.in(0);
      dims expected = dims::of(x);
      expected.ndim -= 1;
      int64_t rows = 1;
      for (int32_t i = 0; i < expected.ndim; ++i) rows *= expected.d[i];
      if (x.shape[x.ndim - 1] == 0 && rows > 0)
        c.reject_tensor(true, 0, "argmax over an empty last axis is undefined, shape " + shape_string(x));
      c.shape(false, 0, expected, " (input 0 (x) without its last axis)");
      break;
    }
    default:
      c.reject(": no validation rule for this op kind", BP_ERR_INTERNAL);
  }
}

}  // namespace op_check_detail
}  // namespace bp::sdk
