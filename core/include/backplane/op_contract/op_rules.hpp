// backplane/op_contract/op_rules.hpp — the per-op-kind rules of the op
// validator (backplane/op_contract.hpp): what abi.h writes next to each op
// kind, as code.
#pragma once

#include <string>

#include "backplane/op_contract/checker.hpp"

namespace bp::contract {

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
}  // namespace bp::contract
