// emu_cudnn_ops.cpp — test-only libcudnn.so.9: pooling, activation and
// softmax, forward and backward, on the CPU.
//
// Every task reads all of its inputs for a unit of work (the whole tensor,
// or one softmax group) before writing the output, so in-place calls
// (y == x, dx == dy) give the same result as out-of-place ones.
#include <cmath>
#include <limits>
#include <vector>

#include "emu_cudnn_common.hpp"

using namespace bp_emu_dnn;

namespace {

// Output extent of a pooling window sweep, or 0 when the window does not fit.
int pooled_extent(int in, int pad, int win, int stride) {
  const int span = in + 2 * pad;
  return span < win ? 0 : 1 + (span - win) / stride;
}

cudnnStatus_t check_pool(const char* call, cudnnHandle_t handle, const cudnnPoolingStruct* pd,
                         const cudnnTensorStruct* x, const cudnnTensorStruct* y) {
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  if (!pd || !pd->set || !tensor_ok(x) || !tensor_ok(y))
    return reject(call, CUDNN_STATUS_BAD_PARAM, "a descriptor is NULL or was never set");
  const int p = pooled_extent(x->dims[2], pd->pad_h, pd->win_h, pd->stride_h);
  const int q = pooled_extent(x->dims[3], pd->pad_w, pd->win_w, pd->stride_w);
  if (y->dims[0] != x->dims[0] || y->dims[1] != x->dims[1] || y->dims[2] != p || y->dims[3] != q) {
    char why[200];
    std::snprintf(why, sizeof why, "output dims %dx%dx%dx%d differ from the pooling output %dx%dx%dx%d", y->dims[0],
                  y->dims[1], y->dims[2], y->dims[3], x->dims[0], x->dims[1], p, q);
    return reject(call, CUDNN_STATUS_BAD_PARAM, why);
  }
  return CUDNN_STATUS_SUCCESS;
}

bool is_max(cudnnPoolingMode_t m) { return m == CUDNN_POOLING_MAX || m == CUDNN_POOLING_MAX_DETERMINISTIC; }

// One pooling window at output (p, q) of plane (n, c).
struct window {
  int h0, w0, h1, w1;  // clipped to the image: [h0, h1) x [w0, w1)
  int in_bounds() const { return (h1 - h0) * (w1 - w0); }
};
window window_at(const cudnnPoolingStruct& pd, int H, int W, int p, int q) {
  const int hs = p * pd.stride_h - pd.pad_h, ws = q * pd.stride_w - pd.pad_w;
  window win{hs < 0 ? 0 : hs, ws < 0 ? 0 : ws, hs + pd.win_h, ws + pd.win_w};
  if (win.h1 > H) win.h1 = H;
  if (win.w1 > W) win.w1 = W;
  if (win.h1 < win.h0) win.h1 = win.h0;
  if (win.w1 < win.w0) win.w1 = win.w0;
  return win;
}

// Position of the first maximum in row-major scan order (NaN wins when propagating); -1,-1 if empty.
void first_max(const cview& X, const cudnnPoolingStruct& pd, int n, int c, const window& win, int& mh, int& mw) {
  mh = mw = -1;
  float best = 0.0f;
  for (int h = win.h0; h < win.h1; ++h)
    for (int w = win.w0; w < win.w1; ++w) {
      const float v = X.at(n, c, h, w);
      if (std::isnan(v)) {
        if (pd.nan == CUDNN_PROPAGATE_NAN) {
          mh = h, mw = w;
          return;
        }
        continue;
      }
      if (mh < 0 || v > best) best = v, mh = h, mw = w;
    }
}

// Divisor of an average window: the full window, or its in-bounds part.
int average_count(const cudnnPoolingStruct& pd, const window& win) {
  return pd.mode == CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING ? pd.win_h * pd.win_w : win.in_bounds();
}

cudnnStatus_t check_same(const char* call, const cudnnTensorStruct* a, const cudnnTensorStruct* b, const char* why) {
  if (!tensor_ok(a) || !tensor_ok(b))
    return reject(call, CUDNN_STATUS_BAD_PARAM, "a descriptor is NULL or was never set");
  if (!same_dims(*a, *b)) return reject(call, CUDNN_STATUS_BAD_PARAM, why);
  return CUDNN_STATUS_SUCCESS;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double activate(const cudnnActivationStruct& ad, double x) {
  const bool nan_out = std::isnan(x) && ad.nan == CUDNN_PROPAGATE_NAN;
  switch (ad.mode) {
    case CUDNN_ACTIVATION_SIGMOID: return sigmoid(x);
    case CUDNN_ACTIVATION_TANH: return std::tanh(x);
    case CUDNN_ACTIVATION_RELU: return nan_out ? x : (x > 0.0 ? x : 0.0);
    case CUDNN_ACTIVATION_CLIPPED_RELU: return nan_out ? x : (x > 0.0 ? (x < ad.coef ? x : ad.coef) : 0.0);
    case CUDNN_ACTIVATION_ELU: return x > 0.0 ? x : ad.coef * (std::exp(x) - 1.0);
    case CUDNN_ACTIVATION_SWISH: return x * sigmoid(ad.coef * x);
    default: return x;  // IDENTITY
  }
}

double activation_grad(const cudnnActivationStruct& ad, double y, double dy, double x) {
  switch (ad.mode) {
    case CUDNN_ACTIVATION_SIGMOID: return dy * y * (1.0 - y);
    case CUDNN_ACTIVATION_TANH: return dy * (1.0 - y * y);
    case CUDNN_ACTIVATION_RELU: return x > 0.0 ? dy : 0.0;
    case CUDNN_ACTIVATION_CLIPPED_RELU: return x > 0.0 && x < ad.coef ? dy : 0.0;
    case CUDNN_ACTIVATION_ELU: return x > 0.0 ? dy : dy * (y + ad.coef);
    case CUDNN_ACTIVATION_SWISH: {
      const double s = sigmoid(ad.coef * x);
      return dy * (s + ad.coef * x * s * (1.0 - s));
    }
    default: return dy;  // IDENTITY
  }
}

// Element offsets of one softmax group of tensor t: INSTANCE is all of
// (c, h, w) for sample n; CHANNEL is all of c at (n, h, w).
void group_offsets(const cudnnTensorStruct& t, cudnnSoftmaxMode_t mode, int n, int h, int w,
                   std::vector<int64_t>& out) {
  out.clear();
  const int64_t* st = t.strides;
  if (mode == CUDNN_SOFTMAX_MODE_CHANNEL) {
    for (int c = 0; c < t.dims[1]; ++c) out.push_back(n * st[0] + c * st[1] + h * st[2] + w * st[3]);
    return;
  }
  for (int c = 0; c < t.dims[1]; ++c)
    for (int hh = 0; hh < t.dims[2]; ++hh)
      for (int ww = 0; ww < t.dims[3]; ++ww) out.push_back(n * st[0] + c * st[1] + hh * st[2] + ww * st[3]);
}

// Calls f(n, h, w) once per softmax group.
template <typename F>
void for_each_group(const cudnnTensorStruct& t, cudnnSoftmaxMode_t mode, F&& f) {
  for (int n = 0; n < t.dims[0]; ++n) {
    if (mode == CUDNN_SOFTMAX_MODE_INSTANCE) {
      f(n, 0, 0);
      continue;
    }
    for (int h = 0; h < t.dims[2]; ++h)
      for (int w = 0; w < t.dims[3]; ++w) f(n, h, w);
  }
}

cudnnStatus_t check_softmax(const char* call, cudnnHandle_t handle, cudnnSoftmaxAlgorithm_t algo,
                            cudnnSoftmaxMode_t mode) {
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  if (algo != CUDNN_SOFTMAX_FAST && algo != CUDNN_SOFTMAX_ACCURATE && algo != CUDNN_SOFTMAX_LOG)
    return reject(call, CUDNN_STATUS_BAD_PARAM, "unknown softmax algorithm");
  if (mode != CUDNN_SOFTMAX_MODE_INSTANCE && mode != CUDNN_SOFTMAX_MODE_CHANNEL)
    return reject(call, CUDNN_STATUS_BAD_PARAM, "unknown softmax mode");
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

BP_EMU_EXPORT cudnnStatus_t cudnnPoolingForward(cudnnHandle_t handle, const cudnnPoolingDescriptor_t poolingDesc,
                                                const void* alpha, const cudnnTensorDescriptor_t xDesc, const void* x,
                                                const void* beta, const cudnnTensorDescriptor_t yDesc, void* y) {
  static const char* const call = "cudnnPoolingForward";
  const cudnnStatus_t st = check_pool(call, handle, poolingDesc, xDesc, yDesc);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  double a, b;
  if (!read_scaling(alpha, beta, a, b)) return reject(call, CUDNN_STATUS_BAD_PARAM, "alpha or beta is NULL");
  if (!device_ok(call, "x", x, tensor_bytes(*xDesc)) || !device_ok(call, "y", y, tensor_bytes(*yDesc)))
    return CUDNN_STATUS_BAD_PARAM;
  const cudnnPoolingStruct pd = *poolingDesc;
  const cudnnTensorStruct tx = *xDesc, ty = *yDesc;
  return submit(call, handle, [=] {
    const cview X = cview_of(tx, x);
    const view Y = view_of(ty, y);
    std::vector<double> result;
    result.reserve(size_t(count(ty)));
    for_each(ty.dims, [&](int n, int c, int p, int q) {
      const window win = window_at(pd, tx.dims[2], tx.dims[3], p, q);
      if (is_max(pd.mode)) {
        int mh, mw;
        first_max(X, pd, n, c, win, mh, mw);
        result.push_back(mh < 0 ? 0.0 : double(X.at(n, c, mh, mw)));
        return;
      }
      double sum = 0.0;
      for (int h = win.h0; h < win.h1; ++h)
        for (int w = win.w0; w < win.w1; ++w) sum += double(X.at(n, c, h, w));
      const int cnt = average_count(pd, win);
      result.push_back(cnt > 0 ? sum / cnt : 0.0);
    });
    size_t i = 0;
    for_each(ty.dims, [&](int n, int c, int p, int q) {
      float& out = Y.at(n, c, p, q);
      out = blend(a, result[i++], b, out);
    });
  });
}

BP_EMU_EXPORT cudnnStatus_t cudnnPoolingBackward(cudnnHandle_t handle, const cudnnPoolingDescriptor_t poolingDesc,
                                                 const void* alpha, const cudnnTensorDescriptor_t yDesc,
                                                 const void* y, const cudnnTensorDescriptor_t dyDesc, const void* dy,
                                                 const cudnnTensorDescriptor_t xDesc, const void* x, const void* beta,
                                                 const cudnnTensorDescriptor_t dxDesc, void* dx) {
  static const char* const call = "cudnnPoolingBackward";
  cudnnStatus_t st = check_pool(call, handle, poolingDesc, xDesc, yDesc);
  if (st == CUDNN_STATUS_SUCCESS) st = check_same(call, yDesc, dyDesc, "dy dims differ from y's");
  if (st == CUDNN_STATUS_SUCCESS) st = check_same(call, xDesc, dxDesc, "dx dims differ from x's");
  if (st != CUDNN_STATUS_SUCCESS) return st;
  double a, b;
  if (!read_scaling(alpha, beta, a, b)) return reject(call, CUDNN_STATUS_BAD_PARAM, "alpha or beta is NULL");
  if (!device_ok(call, "y", y, tensor_bytes(*yDesc)) || !device_ok(call, "dy", dy, tensor_bytes(*dyDesc)) ||
      !device_ok(call, "x", x, tensor_bytes(*xDesc)) || !device_ok(call, "dx", dx, tensor_bytes(*dxDesc)))
    return CUDNN_STATUS_BAD_PARAM;
  const cudnnPoolingStruct pd = *poolingDesc;
  const cudnnTensorStruct tx = *xDesc, tdy = *dyDesc, tdx = *dxDesc;
  return submit(call, handle, [=] {
    const cview X = cview_of(tx, x), DY = cview_of(tdy, dy);
    const view DX = view_of(tdx, dx);
    const int C = tx.dims[1], H = tx.dims[2], W = tx.dims[3];
    std::vector<double> acc(size_t(count(tx)), 0.0);  // logical NCHW order
    auto at = [&](int n, int c, int h, int w) -> double& { return acc[((size_t(n) * C + c) * H + h) * W + w]; };
    for_each(tdy.dims, [&](int n, int c, int p, int q) {
      const window win = window_at(pd, H, W, p, q);
      const double g = double(DY.at(n, c, p, q));
      if (is_max(pd.mode)) {
        int mh, mw;
        first_max(X, pd, n, c, win, mh, mw);
        if (mh >= 0) at(n, c, mh, mw) += g;
        return;
      }
      const int cnt = average_count(pd, win);
      if (cnt <= 0) return;
      for (int h = win.h0; h < win.h1; ++h)
        for (int w = win.w0; w < win.w1; ++w) at(n, c, h, w) += g / cnt;
    });
    for_each(tdx.dims, [&](int n, int c, int h, int w) {
      float& out = DX.at(n, c, h, w);
      out = blend(a, at(n, c, h, w), b, out);
    });
  });
}

BP_EMU_EXPORT cudnnStatus_t cudnnActivationForward(cudnnHandle_t handle, cudnnActivationDescriptor_t activationDesc,
                                                   const void* alpha, const cudnnTensorDescriptor_t xDesc,
                                                   const void* x, const void* beta,
                                                   const cudnnTensorDescriptor_t yDesc, void* y) {
  static const char* const call = "cudnnActivationForward";
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  if (!activationDesc || !activationDesc->set)
    return reject(call, CUDNN_STATUS_BAD_PARAM, "activation descriptor is NULL or was never set");
  const cudnnStatus_t st = check_same(call, xDesc, yDesc, "x and y dims differ");
  if (st != CUDNN_STATUS_SUCCESS) return st;
  double a, b;
  if (!read_scaling(alpha, beta, a, b)) return reject(call, CUDNN_STATUS_BAD_PARAM, "alpha or beta is NULL");
  if (!device_ok(call, "x", x, tensor_bytes(*xDesc)) || !device_ok(call, "y", y, tensor_bytes(*yDesc)))
    return CUDNN_STATUS_BAD_PARAM;
  const cudnnActivationStruct ad = *activationDesc;
  const cudnnTensorStruct tx = *xDesc, ty = *yDesc;
  return submit(call, handle, [=] {
    const cview X = cview_of(tx, x);
    const view Y = view_of(ty, y);
    std::vector<double> result;
    result.reserve(size_t(count(tx)));
    for_each(tx.dims, [&](int n, int c, int h, int w) { result.push_back(activate(ad, double(X.at(n, c, h, w)))); });
    size_t i = 0;
    for_each(ty.dims, [&](int n, int c, int h, int w) {
      float& out = Y.at(n, c, h, w);
      out = blend(a, result[i++], b, out);
    });
  });
}

BP_EMU_EXPORT cudnnStatus_t cudnnActivationBackward(cudnnHandle_t handle, cudnnActivationDescriptor_t activationDesc,
                                                    const void* alpha, const cudnnTensorDescriptor_t yDesc,
                                                    const void* y, const cudnnTensorDescriptor_t dyDesc,
                                                    const void* dy, const cudnnTensorDescriptor_t xDesc,
                                                    const void* x, const void* beta,
                                                    const cudnnTensorDescriptor_t dxDesc, void* dx) {
  static const char* const call = "cudnnActivationBackward";
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  if (!activationDesc || !activationDesc->set)
    return reject(call, CUDNN_STATUS_BAD_PARAM, "activation descriptor is NULL or was never set");
  cudnnStatus_t st = check_same(call, yDesc, dyDesc, "y and dy dims differ");
  if (st == CUDNN_STATUS_SUCCESS) st = check_same(call, yDesc, xDesc, "y and x dims differ");
  if (st == CUDNN_STATUS_SUCCESS) st = check_same(call, xDesc, dxDesc, "x and dx dims differ");
  if (st != CUDNN_STATUS_SUCCESS) return st;
  double a, b;
  if (!read_scaling(alpha, beta, a, b)) return reject(call, CUDNN_STATUS_BAD_PARAM, "alpha or beta is NULL");
  if (!device_ok(call, "y", y, tensor_bytes(*yDesc)) || !device_ok(call, "dy", dy, tensor_bytes(*dyDesc)) ||
      !device_ok(call, "x", x, tensor_bytes(*xDesc)) || !device_ok(call, "dx", dx, tensor_bytes(*dxDesc)))
    return CUDNN_STATUS_BAD_PARAM;
  const cudnnActivationStruct ad = *activationDesc;
  const cudnnTensorStruct ty = *yDesc, tdy = *dyDesc, tx = *xDesc, tdx = *dxDesc;
  return submit(call, handle, [=] {
    const cview Y = cview_of(ty, y), DY = cview_of(tdy, dy), X = cview_of(tx, x);
    const view DX = view_of(tdx, dx);
    std::vector<double> result;
    result.reserve(size_t(count(tx)));
    for_each(tx.dims, [&](int n, int c, int h, int w) {
      result.push_back(activation_grad(ad, double(Y.at(n, c, h, w)), double(DY.at(n, c, h, w)),
                                       double(X.at(n, c, h, w))));
    });
    size_t i = 0;
    for_each(tdx.dims, [&](int n, int c, int h, int w) {
      float& out = DX.at(n, c, h, w);
      out = blend(a, result[i++], b, out);
    });
  });
}

BP_EMU_EXPORT cudnnStatus_t cudnnSoftmaxForward(cudnnHandle_t handle, cudnnSoftmaxAlgorithm_t algo,
                                                cudnnSoftmaxMode_t mode, const void* alpha,
                                                const cudnnTensorDescriptor_t xDesc, const void* x, const void* beta,
                                                const cudnnTensorDescriptor_t yDesc, void* y) {
  static const char* const call = "cudnnSoftmaxForward";
  cudnnStatus_t st = check_softmax(call, handle, algo, mode);
  if (st == CUDNN_STATUS_SUCCESS) st = check_same(call, xDesc, yDesc, "x and y dims differ");
  if (st != CUDNN_STATUS_SUCCESS) return st;
  double a, b;
  if (!read_scaling(alpha, beta, a, b)) return reject(call, CUDNN_STATUS_BAD_PARAM, "alpha or beta is NULL");
  if (!device_ok(call, "x", x, tensor_bytes(*xDesc)) || !device_ok(call, "y", y, tensor_bytes(*yDesc)))
    return CUDNN_STATUS_BAD_PARAM;
  const cudnnTensorStruct tx = *xDesc, ty = *yDesc;
  return submit(call, handle, [=] {
    const float* X = static_cast<const float*>(x);
    float* Y = static_cast<float*>(y);
    std::vector<int64_t> ox, oy;
    std::vector<double> v;
    for_each_group(tx, mode, [&](int n, int h, int w) {
      group_offsets(tx, mode, n, h, w, ox);
      group_offsets(ty, mode, n, h, w, oy);
      v.assign(ox.size(), 0.0);
      double m = -std::numeric_limits<double>::infinity();
      for (size_t i = 0; i < ox.size(); ++i) v[i] = double(X[ox[i]]), m = v[i] > m ? v[i] : m;
      if (algo == CUDNN_SOFTMAX_FAST) m = 0.0;  // FAST does not subtract the maximum
      double sum = 0.0;
      for (double e : v) sum += std::exp(e - m);
      const double log_sum = std::log(sum);
      for (size_t i = 0; i < v.size(); ++i) {
        const double r = algo == CUDNN_SOFTMAX_LOG ? v[i] - m - log_sum : std::exp(v[i] - m) / sum;
        Y[oy[i]] = blend(a, r, b, Y[oy[i]]);
      }
    });
  });
}

BP_EMU_EXPORT cudnnStatus_t cudnnSoftmaxBackward(cudnnHandle_t handle, cudnnSoftmaxAlgorithm_t algo,
                                                 cudnnSoftmaxMode_t mode, const void* alpha,
                                                 const cudnnTensorDescriptor_t yDesc, const void* y,
                                                 const cudnnTensorDescriptor_t dyDesc, const void* dy,
                                                 const void* beta, const cudnnTensorDescriptor_t dxDesc, void* dx) {
  static const char* const call = "cudnnSoftmaxBackward";
  cudnnStatus_t st = check_softmax(call, handle, algo, mode);
  if (st == CUDNN_STATUS_SUCCESS) st = check_same(call, yDesc, dyDesc, "y and dy dims differ");
  if (st == CUDNN_STATUS_SUCCESS) st = check_same(call, yDesc, dxDesc, "y and dx dims differ");
  if (st != CUDNN_STATUS_SUCCESS) return st;
  double a, b;
  if (!read_scaling(alpha, beta, a, b)) return reject(call, CUDNN_STATUS_BAD_PARAM, "alpha or beta is NULL");
  if (!device_ok(call, "y", y, tensor_bytes(*yDesc)) || !device_ok(call, "dy", dy, tensor_bytes(*dyDesc)) ||
      !device_ok(call, "dx", dx, tensor_bytes(*dxDesc)))
    return CUDNN_STATUS_BAD_PARAM;
  const cudnnTensorStruct ty = *yDesc, tdy = *dyDesc, tdx = *dxDesc;
  return submit(call, handle, [=] {
    const float* Y = static_cast<const float*>(y);
    const float* DY = static_cast<const float*>(dy);
    float* DX = static_cast<float*>(dx);
    std::vector<int64_t> oy, ody, odx;
    std::vector<double> yv, gv;
    for_each_group(ty, mode, [&](int n, int h, int w) {
      group_offsets(ty, mode, n, h, w, oy);
      group_offsets(tdy, mode, n, h, w, ody);
      group_offsets(tdx, mode, n, h, w, odx);
      yv.assign(oy.size(), 0.0);
      gv.assign(oy.size(), 0.0);
      double s = 0.0;
      for (size_t i = 0; i < oy.size(); ++i) {
        yv[i] = double(Y[oy[i]]), gv[i] = double(DY[ody[i]]);
        s += algo == CUDNN_SOFTMAX_LOG ? gv[i] : gv[i] * yv[i];
      }
      for (size_t i = 0; i < oy.size(); ++i) {
        // log-softmax: dx = dy - exp(y) * sum(dy); softmax: dx = y * (dy - sum(dy * y)).
        const double r = algo == CUDNN_SOFTMAX_LOG ? gv[i] - std::exp(yv[i]) * s : yv[i] * (gv[i] - s);
        DX[odx[i]] = blend(a, r, b, DX[odx[i]]);
      }
    });
  });
}

}  // extern "C"
