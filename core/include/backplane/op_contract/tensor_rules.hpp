// backplane/op_contract/tensor_rules.hpp — small helpers on bp_tensor and op
// descriptors: tensor role names, dtypes, shapes and the conv/pool geometry.
// Part of the op contract (backplane/op_contract.hpp), shared by the core, the
// SDK (backplane/sdk/tensor_util.hpp re-exports it), the plugins and the tests.
//
// Nothing here crosses the ABI; everything is inline. The geometry helpers
// (conv/pool output extents and padding) are the single definition of the
// shape rules written in abi.h, so the validator and every backend agree.
#pragma once

#include <cstdint>
#include <string>

#include "backplane/abi.h"
#include "backplane/names.hpp"

namespace bp::contract {

// ---- names -------------------------------------------------------------------

inline const char* op_kind_name(bp_op_kind kind) { return bp::names::op_kind(kind); }

// Role name of tensor `index` of an op kind, e.g. ("CONV2D_FWD", input 1) -> "w".
inline const char* tensor_role(bp_op_kind kind, bool is_input, uint32_t index) {
  struct roles {
    const char* in[3];
    const char* out[3];
  };
  static const roles table[] = {
      {{nullptr}, {nullptr}},                                     // INVALID
      {{"x", "w", "bias"}, {"y"}},                                // CONV2D_FWD
      {{"dy", "w"}, {"dx"}},                                      // CONV2D_BWD_DATA
      {{"x", "dy"}, {"dw"}},                                      // CONV2D_BWD_FILTER
      {{"x", "b"}, {"y"}},                                        // BIAS_ADD
      {{"dy"}, {"db"}},                                           // BIAS_GRAD
      {{"x"}, {"y"}},                                             // ACTIVATION_FWD
      {{"y", "dy"}, {"dx"}},                                      // ACTIVATION_BWD
      {{"x"}, {"y"}},                                             // POOL2D_FWD
      {{"x", "y", "dy"}, {"dx"}},                                 // POOL2D_BWD
      {{"a", "b"}, {"c"}},                                        // GEMM
      {{"x"}, {"y"}},                                             // SOFTMAX
      {{"y", "dy"}, {"dx"}},                                      // SOFTMAX_BWD
      {{"logits", "labels"}, {"loss", "probs"}},                  // SOFTMAX_XENT_FWD
      {{"probs", "labels"}, {"dlogits"}},                         // SOFTMAX_XENT_BWD
      {{"grad"}, {"param", "m", "v"}},                            // ADAM_UPDATE
      {{"grad"}, {"param", "velocity"}},                          // SGD_UPDATE
      {{"a", "b"}, {"c"}},                                        // ADD
      {{"a", "b"}, {"c"}},                                        // SUB
      {{"a", "b"}, {"c"}},                                        // MUL
      {{"x"}, {"y"}},                                             // SCALE
      {{nullptr}, {"y"}},                                         // FILL
      {{"x"}, {"y"}},                                             // COPY
      {{"x"}, {"y"}},                                             // REDUCE
      {{"x"}, {"idx"}},                                           // ARGMAX
  };
  static_assert(sizeof(table) / sizeof(table[0]) == BP_OP_KIND_COUNT_, "one role row per op kind");
  if (kind <= 0 || kind >= BP_OP_KIND_COUNT_ || index >= 3) return "?";
  const char* r = is_input ? table[kind].in[index] : table[kind].out[index];
  return r ? r : "?";
}

// "CONV2D_FWD input 1 (w)"
inline std::string tensor_label(bp_op_kind kind, bool is_input, uint32_t index) {
  return std::string(op_kind_name(kind)) + (is_input ? " input " : " output ") + std::to_string(index) + " (" +
         tensor_role(kind, is_input, index) + ")";
}

// ---- dtypes ------------------------------------------------------------------

inline bool is_float32(bp_dtype t) { return t.code == BP_DTYPE_FLOAT && t.bits == 32 && t.lanes == 1; }
inline bool is_int32(bp_dtype t) { return t.code == BP_DTYPE_INT && t.bits == 32 && t.lanes == 1; }
inline bp_dtype float32_dtype() { return bp_dtype{BP_DTYPE_FLOAT, 32, 1}; }
inline bp_dtype int32_dtype() { return bp_dtype{BP_DTYPE_INT, 32, 1}; }

inline std::string dtype_name(bp_dtype t) {
  std::string s;
  switch (t.code) {
    case BP_DTYPE_INT: s = "int"; break;
    case BP_DTYPE_UINT: s = "uint"; break;
    case BP_DTYPE_FLOAT: s = "float"; break;
    case BP_DTYPE_BFLOAT: s = "bfloat"; break;
    default: s = "code" + std::to_string(t.code) + "/bits"; break;
  }
  s += std::to_string(t.bits);
  if (t.lanes != 1) s += "x" + std::to_string(t.lanes);
  return s;
}

// Bytes per element (0 for sub-byte or vector types, which v1 does not use).
inline uint64_t dtype_bytes(bp_dtype t) { return (t.bits % 8 == 0) ? uint64_t(t.bits / 8) * t.lanes : 0; }

// ---- shapes ------------------------------------------------------------------

// Product of the extents (1 for ndim 0). Assumes a validated tensor (no overflow).
inline int64_t numel(const bp_tensor& t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t.ndim; ++i) n *= t.shape[i];
  return n;
}

// True when strides are NULL or equal the compact row-major ones. Extents of 1
// may carry any stride and an empty tensor is always compact (no element is
// addressed through those strides).
inline bool is_compact(const bp_tensor& t) {
  if (t.strides == nullptr) return true;
  int64_t expected = 1;
  for (int32_t i = t.ndim - 1; i >= 0; --i) {
    if (t.shape[i] == 0) return true;
    if (t.shape[i] != 1 && t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

inline std::string shape_string(const int64_t* shape, int32_t ndim) {
  std::string s = "(";
  for (int32_t i = 0; i < ndim; ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + ")";
}
inline std::string shape_string(const bp_tensor& t) { return shape_string(t.shape, t.ndim); }

// Typed base pointer (data + byte_offset).
template <typename T>
inline T* tensor_data(const bp_tensor& t) {
  return reinterpret_cast<T*>(static_cast<char*>(t.data) + t.byte_offset);
}

// ---- conv / pool geometry ------------------------------------------------------

// Output extent along one spatial axis and the padding in front of it.
// Returns -1 when the (dilated) window does not fit in the padded input.
// SAME follows TF/Keras: out = ceil(in / stride), total padding
// max(0, (out-1)*stride + eff - in) split with the extra row at the end.
inline int64_t conv_output_extent(int64_t in, int64_t window, int64_t stride, int64_t dilation, bp_padding padding,
                                  int64_t explicit_before, int64_t explicit_after, int64_t* pad_before = nullptr,
                                  int64_t* pad_after = nullptr) {
  // Extents, windows and strides come from callers (possibly hostile): every
  // step is overflow-checked, and an impossible geometry is "does not fit" (-1).
  int64_t eff = 0, before = 0, after = 0, out = -1;
  if (window < 1 || dilation < 1 || stride < 1 || in < 0 || __builtin_mul_overflow(dilation, window - 1, &eff) ||
      __builtin_add_overflow(eff, int64_t{1}, &eff))
    return -1;
  if (padding == BP_PADDING_SAME) {
    int64_t rounded = 0;
    if (__builtin_add_overflow(in, stride - 1, &rounded)) return -1;
    out = rounded / stride;
    int64_t total = 0;
    if (out > 0 && (__builtin_mul_overflow(out - 1, stride, &total) || __builtin_add_overflow(total, eff - in, &total)))
      return -1;
    if (total < 0) total = 0;
    before = total / 2;
    after = total - before;
  } else {
    if (padding == BP_PADDING_EXPLICIT) {
      before = explicit_before;
      after = explicit_after;
    }
    int64_t span = 0;
    if (before < 0 || after < 0 || __builtin_add_overflow(in, before, &span) || __builtin_add_overflow(span, after, &span))
      return -1;
    span -= eff;
    out = span < 0 ? -1 : span / stride + 1;
  }
  if (pad_before) *pad_before = before;
  if (pad_after) *pad_after = after;
  return out;
}

// Everything a conv kernel needs, in layout-independent names.
struct conv_geometry {
  bool nchw = false;
  int64_t n = 0, h = 0, w = 0, c = 0;  // input
  int64_t k = 0, r = 0, s = 0;         // filter: k outputs, r x s window
  int64_t p = 0, q = 0;                // output height, width
  int64_t stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};

// Geometry from the input (x or dx) shape and filter shape; p/q are -1 when
// the window does not fit (the validator rejects that).
inline conv_geometry make_conv_geometry(const bp_conv2d_attrs& a, const int64_t* x_shape, const int64_t* w_shape) {
  conv_geometry g;
  g.nchw = a.layout == BP_LAYOUT_NCHW;
  g.n = x_shape[0];
  if (g.nchw) {
    g.c = x_shape[1], g.h = x_shape[2], g.w = x_shape[3];
    g.k = w_shape[0], g.r = w_shape[2], g.s = w_shape[3];
  } else {
    g.h = x_shape[1], g.w = x_shape[2], g.c = x_shape[3];
    g.k = w_shape[0], g.r = w_shape[1], g.s = w_shape[2];
  }
  g.stride_h = a.stride_h, g.stride_w = a.stride_w, g.dil_h = a.dilation_h, g.dil_w = a.dilation_w;
  g.p = conv_output_extent(g.h, g.r, g.stride_h, g.dil_h, a.padding, a.pad_top, a.pad_bottom, &g.pad_top,
                           &g.pad_bottom);
  g.q = conv_output_extent(g.w, g.s, g.stride_w, g.dil_w, a.padding, a.pad_left, a.pad_right, &g.pad_left,
                           &g.pad_right);
  return g;
}

struct pool_geometry {
  bool nchw = false;
  int64_t n = 0, h = 0, w = 0, c = 0;
  int64_t win_h = 1, win_w = 1, stride_h = 1, stride_w = 1;
  int64_t p = 0, q = 0;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};

inline pool_geometry make_pool_geometry(const bp_pool2d_attrs& a, const int64_t* x_shape) {
  pool_geometry g;
  g.nchw = a.layout == BP_LAYOUT_NCHW;
  g.n = x_shape[0];
  if (g.nchw)
    g.c = x_shape[1], g.h = x_shape[2], g.w = x_shape[3];
  else
    g.h = x_shape[1], g.w = x_shape[2], g.c = x_shape[3];
  g.win_h = a.window_h, g.win_w = a.window_w, g.stride_h = a.stride_h, g.stride_w = a.stride_w;
  g.p = conv_output_extent(g.h, g.win_h, g.stride_h, 1, a.padding, a.pad_top, a.pad_bottom, &g.pad_top, &g.pad_bottom);
  g.q = conv_output_extent(g.w, g.win_w, g.stride_w, 1, a.padding, a.pad_left, a.pad_right, &g.pad_left,
                           &g.pad_right);
  return g;
}

// Index of the channel axis for BIAS_ADD / BIAS_GRAD (rank >= 1; NCHW needs rank >= 2).
inline int32_t channel_axis(bp_layout layout, int32_t ndim) { return layout == BP_LAYOUT_NCHW ? 1 : ndim - 1; }

}  // namespace bp::contract
