#include "conv.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "activation.hpp"
#include "common.hpp"
#include "conv_direct.hpp"
#include "gemm.hpp"

namespace bp::openblas_cpu {

using bp::sdk::conv_geometry;

namespace {

// Upper bound on one im2col block (floats): 4 MiB keeps it in L2/L3 and
// bounds per-thread scratch for large images.
constexpr int64_t kColBlockFloats = int64_t(1) << 20;

const bp_conv2d_attrs& conv_attrs(const bp_op_desc& op) { return *static_cast<const bp_conv2d_attrs*>(op.attrs); }

// Geometry from the op's image tensor (x, or dx for BWD_DATA) and filter.
conv_geometry geometry_of(const bp_op_desc& op) {
  const bp_conv2d_attrs& a = conv_attrs(op);
  switch (op.kind) {
    case BP_OP_CONV2D_BWD_DATA:
      return bp::sdk::make_conv_geometry(a, op.outputs[0].shape, op.inputs[1].shape);
    case BP_OP_CONV2D_BWD_FILTER:
      return bp::sdk::make_conv_geometry(a, op.inputs[0].shape, op.outputs[0].shape);
    default:
      return bp::sdk::make_conv_geometry(a, op.inputs[0].shape, op.inputs[1].shape);
  }
}

// A 1x1 window with stride 1 and no padding: the image itself is the im2col matrix.
bool is_pointwise(const conv_geometry& g) {
  return g.r == 1 && g.s == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 &&
         g.pad_bottom == 0 && g.pad_right == 0;
}

// Output rows per im2col block so one block stays under kColBlockFloats.
int64_t rows_per_block(const conv_geometry& g) {
  const int64_t row_floats = std::max<int64_t>(1, g.q * g.r * g.s * g.c);
  return std::clamp<int64_t>(kColBlockFloats / row_floats, 1, std::max<int64_t>(1, g.p));
}

// NHWC im2col of output rows [p0, p1): row (p-p0)*Q+q holds the R*S*C window
// (r, s, c order, matching the OHWI filter), zeros where it leaves the image.
void im2col_nhwc(const conv_geometry& g, const float* x, int64_t p0, int64_t p1, float* col) {
  const int64_t C = g.c, SC = g.s * g.c, RSC = g.r * SC;
  for (int64_t p = p0; p < p1; ++p) {
    for (int64_t q = 0; q < g.q; ++q) {
      float* dst = col + ((p - p0) * g.q + q) * RSC;
      const int64_t w0 = q * g.stride_w - g.pad_left;
      const bool row_inside = w0 >= 0 && w0 + (g.s - 1) * g.dil_w < g.w;
      for (int64_t r = 0; r < g.r; ++r, dst += SC) {
        const int64_t h = p * g.stride_h - g.pad_top + r * g.dil_h;
        if (h < 0 || h >= g.h) {
          std::memset(dst, 0, sizeof(float) * size_t(SC));
          continue;
        }
        const float* src_row = x + h * g.w * C;
        if (row_inside && g.dil_w == 1) {  // the S*C window row is contiguous
          std::memcpy(dst, src_row + w0 * C, sizeof(float) * size_t(SC));
          continue;
        }
        for (int64_t s = 0; s < g.s; ++s) {
          const int64_t w = w0 + s * g.dil_w;
          if (w < 0 || w >= g.w)
            std::memset(dst + s * C, 0, sizeof(float) * size_t(C));
          else
            std::memcpy(dst + s * C, src_row + w * C, sizeof(float) * size_t(C));
        }
      }
    }
  }
}

// Adjoint of im2col_nhwc: scatter-adds the column block into dx (not zeroed here).
void col2im_nhwc(const conv_geometry& g, const float* col, int64_t p0, int64_t p1, float* dx) {
  const int64_t C = g.c, SC = g.s * g.c, RSC = g.r * SC;
  for (int64_t p = p0; p < p1; ++p) {
    for (int64_t q = 0; q < g.q; ++q) {
      const float* src = col + ((p - p0) * g.q + q) * RSC;
      const int64_t w0 = q * g.stride_w - g.pad_left;
      for (int64_t r = 0; r < g.r; ++r, src += SC) {
        const int64_t h = p * g.stride_h - g.pad_top + r * g.dil_h;
        if (h < 0 || h >= g.h) continue;
        float* dst_row = dx + h * g.w * C;
        for (int64_t s = 0; s < g.s; ++s) {
          const int64_t w = w0 + s * g.dil_w;
          if (w < 0 || w >= g.w) continue;
          float* d = dst_row + w * C;
          const float* v = src + s * C;
          for (int64_t c = 0; c < C; ++c) d[c] += v[c];
        }
      }
    }
  }
}

// NCHW im2col of one image: row (c*R + r)*S + s, column p*Q + q.
void im2col_nchw(const conv_geometry& g, const float* x, float* col) {
  const int64_t PQ = g.p * g.q;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t r = 0; r < g.r; ++r)
      for (int64_t s = 0; s < g.s; ++s) {
        float* dst = col + ((c * g.r + r) * g.s + s) * PQ;
        for (int64_t p = 0; p < g.p; ++p) {
          const int64_t h = p * g.stride_h - g.pad_top + r * g.dil_h;
          float* d = dst + p * g.q;
          if (h < 0 || h >= g.h) {
            std::memset(d, 0, sizeof(float) * size_t(g.q));
            continue;
          }
          const float* src = x + (c * g.h + h) * g.w;
          for (int64_t q = 0; q < g.q; ++q) {
            const int64_t w = q * g.stride_w - g.pad_left + s * g.dil_w;
            d[q] = (w >= 0 && w < g.w) ? src[w] : 0.0f;
          }
        }
      }
}

void col2im_nchw(const conv_geometry& g, const float* col, float* dx) {
  const int64_t PQ = g.p * g.q;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t r = 0; r < g.r; ++r)
      for (int64_t s = 0; s < g.s; ++s) {
        const float* src = col + ((c * g.r + r) * g.s + s) * PQ;
        for (int64_t p = 0; p < g.p; ++p) {
          const int64_t h = p * g.stride_h - g.pad_top + r * g.dil_h;
          if (h < 0 || h >= g.h) continue;
          float* d = dx + (c * g.h + h) * g.w;
          const float* v = src + p * g.q;
          for (int64_t q = 0; q < g.q; ++q) {
            const int64_t w = q * g.stride_w - g.pad_left + s * g.dil_w;
            if (w >= 0 && w < g.w) d[w] += v[q];
          }
        }
      }
}

// Bias + activation on `rows` NHWC output rows of K channels.
BP_MULTIVERSION void epilogue_nhwc(float* y, int64_t rows, int64_t k, const float* bias, bp_activation act) {
  if (bias) {
    for (int64_t i = 0; i < rows; ++i) {
      float* row = y + i * k;
      for (int64_t j = 0; j < k; ++j) row[j] += bias[j];
    }
  }
  if (act != BP_ACTIVATION_NONE) activation_forward(act, y, y, rows * k);
}

}  // namespace

bool conv_supported(const bp_op_desc& op, std::string* why) {
  const conv_geometry g = geometry_of(op);
  const int64_t extents[] = {g.p * g.q, g.h * g.w, g.r * g.s * g.c, g.k, g.c};
  const char* names[] = {"output pixels per image (P*Q)", "input pixels per image (H*W)",
                         "filter volume (R*S*C)", "output channels (K)", "input channels (C)"};
  for (int i = 0; i < 5; ++i)
    if (!fits_blas_int(extents[i])) {
      if (why)
        *why = std::string(bp::sdk::op_kind_name(op.kind)) + ": " + names[i] + " = " + std::to_string(extents[i]) +
               " exceeds the 32-bit integer interface of this OpenBLAS build";
      return false;
    }
  return true;
}

void execute_conv_fwd(const bp_op_desc& op) {
  const bp_conv2d_attrs& a = conv_attrs(op);
  const conv_geometry g = geometry_of(op);
  const float* x = f32(op.inputs[0]);
  const float* w = f32(op.inputs[1]);
  const float* bias = op.num_inputs > 2 ? f32(op.inputs[2]) : nullptr;
  float* y = f32(op.outputs[0]);
  const int64_t RSC = g.r * g.s * g.c, PQ = g.p * g.q, HWC = g.h * g.w * g.c;
  if (g.n == 0 || PQ == 0 || g.k == 0) return;
  if (conv_kernel_choice() != conv_kernel::gemm && direct_conv_applies(g)) {
    direct_conv_fwd(g, x, w, bias, a.activation, y);
    return;
  }
  const bool pointwise = is_pointwise(g);
  thread_pool& tp = pool();

  if (!g.nchw) {
    // Work items are (image, block of output rows); small batches get several
    // blocks per image so every thread has work.
    int64_t rows = rows_per_block(g);
    if (g.n < 2 * tp.size()) {
      const int64_t want_blocks = (2 * tp.size() + g.n - 1) / g.n;
      rows = std::min(rows, std::max<int64_t>(1, (g.p + want_blocks - 1) / want_blocks));
    }
    const int64_t blocks = (g.p + rows - 1) / rows;
    tp.run(g.n * blocks, [&](int64_t item, int) {
      const int64_t n = item / blocks, p0 = (item % blocks) * rows, p1 = std::min(g.p, p0 + rows);
      const int64_t m = (p1 - p0) * g.q;
      const float* col;
      if (pointwise) {
        col = x + n * HWC + p0 * g.w * g.c;
      } else {
        float* buf = thread_scratch(size_t(m * RSC));
        im2col_nhwc(g, x + n * HWC, p0, p1, buf);
        col = buf;
      }
      float* y_blk = y + (n * PQ + p0 * g.q) * g.k;
      // Y(m x K) = col(m x RSC) * W(K x RSC)^T
      sgemm(false, true, m, g.k, RSC, 1.0f, col, RSC, w, RSC, 0.0f, y_blk, g.k);
      epilogue_nhwc(y_blk, m, g.k, bias, a.activation);
    });
    return;
  }

  tp.run(g.n, [&](int64_t n, int) {
    const float* col = x + n * HWC;
    if (!pointwise) {
      float* buf = thread_scratch(size_t(RSC * PQ));
      im2col_nchw(g, x + n * HWC, buf);
      col = buf;
    }
    float* y_img = y + n * g.k * PQ;
    // Y(K x PQ) = W(K x CRS) * col(CRS x PQ)
    sgemm(false, false, g.k, PQ, RSC, 1.0f, w, RSC, col, PQ, 0.0f, y_img, PQ);
    for (int64_t k = 0; k < g.k; ++k) {
      float* plane = y_img + k * PQ;
      if (bias)
        for (int64_t i = 0; i < PQ; ++i) plane[i] += bias[k];
      if (a.activation != BP_ACTIVATION_NONE) activation_forward(a.activation, plane, plane, PQ);
    }
  });
}

void execute_conv_bwd_data(const bp_op_desc& op) {
  const conv_geometry g = geometry_of(op);
  const float* dy = f32(op.inputs[0]);
  const float* w = f32(op.inputs[1]);
  float* dx = f32(op.outputs[0]);
  const int64_t RSC = g.r * g.s * g.c, PQ = g.p * g.q, HWC = g.h * g.w * g.c;
  if (g.n == 0 || HWC == 0) return;
  const bool pointwise = is_pointwise(g);

  // One work item per image: row blocks of one image overlap in dx.
  pool().run(g.n, [&](int64_t n, int) {
    float* dx_img = dx + n * HWC;
    const float* dy_img = dy + n * g.k * PQ;
    if (!g.nchw) {
      if (pointwise) {  // dX(HW x C) = dY(HW x K) * W(K x C)
        sgemm(false, false, PQ, g.c, g.k, 1.0f, dy_img, g.k, w, g.c, 0.0f, dx_img, g.c);
        return;
      }
      std::memset(dx_img, 0, sizeof(float) * size_t(HWC));
      const int64_t rows = rows_per_block(g);
      float* dcol = thread_scratch(size_t(std::min(rows, g.p) * g.q * RSC));
      for (int64_t p0 = 0; p0 < g.p; p0 += rows) {
        const int64_t p1 = std::min(g.p, p0 + rows), m = (p1 - p0) * g.q;
        // dcol(m x RSC) = dY(m x K) * W(K x RSC)
        sgemm(false, false, m, RSC, g.k, 1.0f, dy_img + p0 * g.q * g.k, g.k, w, RSC, 0.0f, dcol, RSC);
        col2im_nhwc(g, dcol, p0, p1, dx_img);
      }
      return;
    }
    if (pointwise) {  // dX(C x HW) = W(K x C)^T * dY(K x HW)
      sgemm(true, false, g.c, PQ, g.k, 1.0f, w, g.c, dy_img, PQ, 0.0f, dx_img, PQ);
      return;
    }
    float* dcol = thread_scratch(size_t(RSC * PQ));
    // dcol(CRS x PQ) = W(K x CRS)^T * dY(K x PQ)
    sgemm(true, false, RSC, PQ, g.k, 1.0f, w, RSC, dy_img, PQ, 0.0f, dcol, PQ);
    std::memset(dx_img, 0, sizeof(float) * size_t(HWC));
    col2im_nchw(g, dcol, dx_img);
  });
}

void execute_conv_bwd_filter(const bp_op_desc& op) {
  const conv_geometry g = geometry_of(op);
  const float* x = f32(op.inputs[0]);
  const float* dy = f32(op.inputs[1]);
  float* dw = f32(op.outputs[0]);
  const int64_t RSC = g.r * g.s * g.c, PQ = g.p * g.q, HWC = g.h * g.w * g.c, KRSC = g.k * RSC;
  if (KRSC == 0) return;
  if (g.n > 0 && PQ > 0 && conv_kernel_choice() != conv_kernel::gemm && direct_conv_applies(g)) {
    direct_conv_bwd_filter(g, x, dy, dw);
    return;
  }
  std::memset(dw, 0, sizeof(float) * size_t(KRSC));
  if (g.n == 0 || PQ == 0) return;
  const bool pointwise = is_pointwise(g);
  thread_pool& tp = pool();

  // Work items are (image, row block); each participant sums its items into
  // a private partial dW, and the partials are added at the end.
  const int64_t rows = g.nchw ? g.p : rows_per_block(g);
  const int64_t blocks = (g.p + rows - 1) / rows;
  const int participants = tp.size();
  float* partials = thread_scratch(size_t(participants) * size_t(KRSC), 1);
  std::memset(partials, 0, sizeof(float) * size_t(participants) * size_t(KRSC));
  std::vector<char> used(size_t(participants), 0);

  tp.run(g.n * blocks, [&](int64_t item, int who) {
    const int64_t n = item / blocks, p0 = (item % blocks) * rows, p1 = std::min(g.p, p0 + rows);
    const int64_t m = (p1 - p0) * g.q;
    float* part = partials + size_t(who) * size_t(KRSC);
    used[size_t(who)] = 1;
    if (!g.nchw) {
      const float* col = x + n * HWC + p0 * g.w * g.c;
      if (!pointwise) {
        float* buf = thread_scratch(size_t(m * RSC));
        im2col_nhwc(g, x + n * HWC, p0, p1, buf);
        col = buf;
      }
      // dW(K x RSC) += dY(m x K)^T * col(m x RSC)
      sgemm(true, false, g.k, RSC, m, 1.0f, dy + (n * PQ + p0 * g.q) * g.k, g.k, col, RSC, 1.0f, part, RSC);
      return;
    }
    const float* col = x + n * HWC;
    if (!pointwise) {
      float* buf = thread_scratch(size_t(RSC * PQ));
      im2col_nchw(g, x + n * HWC, buf);
      col = buf;
    }
    // dW(K x CRS) += dY(K x PQ) * col(CRS x PQ)^T
    sgemm(false, true, g.k, RSC, PQ, 1.0f, dy + n * g.k * PQ, PQ, col, PQ, 1.0f, part, RSC);
  });
  for (int t = 0; t < participants; ++t) {
    if (!used[size_t(t)]) continue;
    const float* part = partials + size_t(t) * size_t(KRSC);
    for (int64_t i = 0; i < KRSC; ++i) dw[i] += part[i];
  }
}

}  // namespace bp::openblas_cpu
