#include "reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ref {

void out_extent(int64_t in, int64_t win, int64_t stride, int64_t dil, padding pad, int64_t before, int64_t after,
                int64_t* out, int64_t* lead) {
  const int64_t span = (win - 1) * dil + 1;
  if (pad == padding::same) {
    // ceil(in / stride) outputs; whatever padding that needs, extra at the end.
    *out = in / stride + (in % stride != 0 ? 1 : 0);
    int64_t needed = (*out - 1) * stride + span - in;
    if (needed < 0) needed = 0;
    *lead = needed / 2;
    return;
  }
  if (pad == padding::valid) before = after = 0;
  *out = (in + before + after - span) / stride + 1;
  *lead = before;
}

conv_dims conv_shape(const conv_cfg& cfg, int64_t n, int64_t h, int64_t w, int64_t c, int64_t k, int64_t r, int64_t s) {
  conv_dims d{n, h, w, c, k, r, s, 0, 0, 0, 0};
  out_extent(h, r, cfg.stride_h, cfg.dil_h, cfg.pad, cfg.pad_top, cfg.pad_bottom, &d.p, &d.top);
  out_extent(w, s, cfg.stride_w, cfg.dil_w, cfg.pad, cfg.pad_left, cfg.pad_right, &d.q, &d.left);
  return d;
}

int64_t image_index(const conv_dims&, bool nchw, int64_t n, int64_t h, int64_t w, int64_t c, int64_t H, int64_t W,
                    int64_t C) {
  return nchw ? ((n * C + c) * H + h) * W + w : ((n * H + h) * W + w) * C + c;
}

int64_t filter_index(const conv_dims& d, bool nchw, int64_t k, int64_t r, int64_t s, int64_t c) {
  return nchw ? ((k * d.c + c) * d.r + r) * d.s + s : ((k * d.r + r) * d.s + s) * d.c + c;
}

double apply_act(act a, double v) {
  switch (a) {
    case act::relu: return v > 0 ? v : 0;
    case act::sigmoid: return 1.0 / (1.0 + std::exp(-v));
    case act::tanh: return std::tanh(v);
    default: return v;
  }
}

vec conv_fwd(const conv_cfg& cfg, const conv_dims& d, const vec& x, const vec& w, const vec* bias, act a) {
  vec y(size_t(d.n * d.p * d.q * d.k), 0.0);
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t p = 0; p < d.p; ++p)
      for (int64_t q = 0; q < d.q; ++q)
        for (int64_t k = 0; k < d.k; ++k) {
          double sum = bias ? (*bias)[size_t(k)] : 0.0;
          for (int64_t r = 0; r < d.r; ++r)
            for (int64_t s = 0; s < d.s; ++s) {
              const int64_t h = p * cfg.stride_h - d.top + r * cfg.dil_h;
              const int64_t ww = q * cfg.stride_w - d.left + s * cfg.dil_w;
              if (h < 0 || h >= d.h || ww < 0 || ww >= d.w) continue;
              for (int64_t c = 0; c < d.c; ++c)
                sum += x[size_t(image_index(d, cfg.nchw, n, h, ww, c, d.h, d.w, d.c))] *
                       w[size_t(filter_index(d, cfg.nchw, k, r, s, c))];
            }
          y[size_t(image_index(d, cfg.nchw, n, p, q, k, d.p, d.q, d.k))] = apply_act(a, sum);
        }
  return y;
}

vec pool_fwd(const conv_cfg& cfg, const conv_dims& d, pool_mode mode, const vec& x) {
  vec y(size_t(d.n * d.p * d.q * d.c), 0.0);
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t p = 0; p < d.p; ++p)
      for (int64_t q = 0; q < d.q; ++q)
        for (int64_t c = 0; c < d.c; ++c) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          int64_t count = 0;
          for (int64_t r = 0; r < d.r; ++r)
            for (int64_t s = 0; s < d.s; ++s) {
              const int64_t h = p * cfg.stride_h - d.top + r, ww = q * cfg.stride_w - d.left + s;
              if (h < 0 || h >= d.h || ww < 0 || ww >= d.w) continue;
              const double v = x[size_t(image_index(d, cfg.nchw, n, h, ww, c, d.h, d.w, d.c))];
              best = v > best ? v : best;
              sum += v;
              ++count;
            }
          y[size_t(image_index(d, cfg.nchw, n, p, q, c, d.p, d.q, d.c))] = mode == pool_mode::max ? best : sum / double(count);
        }
  return y;
}

vec gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const vec& a, const vec& b, double beta,
         const vec& c0) {
  vec c(size_t(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t l = 0; l < k; ++l) {
        const double av = ta ? a[size_t(l * m + i)] : a[size_t(i * k + l)];
        const double bv = tb ? b[size_t(j * k + l)] : b[size_t(l * n + j)];
        sum += av * bv;
      }
      c[size_t(i * n + j)] = alpha * sum + (beta != 0 ? beta * c0[size_t(i * n + j)] : 0.0);
    }
  return c;
}

vec activation(act a, const vec& x) {
  vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = apply_act(a, x[i]);
  return y;
}

vec bias_add(const std::vector<int64_t>& shape, bool nchw, const vec& x, const vec& b) {
  const size_t axis = nchw ? 1 : shape.size() - 1;
  int64_t inner = 1;
  for (size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  const int64_t channels = shape[axis];
  vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] + b[size_t((int64_t(i) / inner) % channels)];
  return y;
}

vec softmax(const vec& x, int64_t cols, bool log) {
  vec y(x.size());
  for (size_t row = 0; row * size_t(cols) < x.size(); ++row) {
    const double* xr = &x[row * size_t(cols)];
    double mx = xr[0], sum = 0;
    for (int64_t j = 1; j < cols; ++j) mx = std::max(mx, xr[j]);
    for (int64_t j = 0; j < cols; ++j) sum += std::exp(xr[j] - mx);
    for (int64_t j = 0; j < cols; ++j)
      y[row * size_t(cols) + size_t(j)] = log ? xr[j] - mx - std::log(sum) : std::exp(xr[j] - mx) / sum;
  }
  return y;
}

double softmax_xent(const vec& logits, const std::vector<int32_t>& labels, int64_t cols, bool mean, vec* probs) {
  const vec logp = softmax(logits, cols, true);
  if (probs) *probs = softmax(logits, cols, false);
  double loss = 0;
  for (size_t i = 0; i < labels.size(); ++i) loss -= logp[i * size_t(cols) + size_t(labels[i])];
  return mean ? loss / double(labels.size()) : loss;
}

vec reduce(const std::vector<int64_t>& shape, int axis, bool mean, const vec& x) {
  if (axis < 0) {
    double s = 0;
    for (double v : x) s += v;
    return {mean ? s / double(x.size()) : s};
  }
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape[size_t(i)];
  for (size_t i = size_t(axis) + 1; i < shape.size(); ++i) inner *= shape[i];
  const int64_t len = shape[size_t(axis)];
  vec y(size_t(outer * inner), 0.0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t l = 0; l < len; ++l)
      for (int64_t i = 0; i < inner; ++i) y[size_t(o * inner + i)] += x[size_t((o * len + l) * inner + i)];
  if (mean)
    for (double& v : y) v /= double(len);
  return y;
}

std::vector<int32_t> argmax(const vec& x, int64_t cols) {
  std::vector<int32_t> idx(x.size() / size_t(cols));
  for (size_t r = 0; r < idx.size(); ++r) {
    int64_t best = 0;
    for (int64_t j = 1; j < cols; ++j)
      if (x[r * size_t(cols) + size_t(j)] > x[r * size_t(cols) + size_t(best)]) best = j;
    idx[r] = int32_t(best);
  }
  return idx;
}

void adam(const adam_cfg& a, const vec& g, vec& p, vec& m, vec& v) {
  const double t = double(a.step);
  const double lr_t = a.lr * std::sqrt(1 - std::pow(a.beta2, t)) / (1 - std::pow(a.beta1, t));
  for (size_t i = 0; i < g.size(); ++i) {
    m[i] = a.beta1 * m[i] + (1 - a.beta1) * g[i];
    v[i] = a.beta2 * v[i] + (1 - a.beta2) * g[i] * g[i];
    p[i] -= lr_t * m[i] / (std::sqrt(v[i]) + a.epsilon);
  }
}

void sgd(double lr, double momentum, bool nesterov, const vec& g, vec& p, vec* velocity) {
  for (size_t i = 0; i < g.size(); ++i) {
    if (!velocity) {
      p[i] -= lr * g[i];
      continue;
    }
    double& v = (*velocity)[i];
    v = momentum * v - lr * g[i];
    p[i] += nesterov ? momentum * v - lr * g[i] : v;
  }
}

double dot(const vec& a, const vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace ref
