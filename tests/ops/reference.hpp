// Naive double-precision reference implementations of the v1 forward ops.
//
// Straight loops, no BLAS, no shared geometry code with the plugin (output
// extents and SAME padding are derived here independently). Backward ops are
// checked against central finite differences of these forwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ref {

using vec = std::vector<double>;

enum class padding { valid, same, explic };
enum class act { none = 0, relu = 1, sigmoid = 2, tanh = 3 };

struct conv_cfg {
  bool nchw = false;
  int64_t stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  padding pad = padding::valid;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;  // explicit only
};

// Resolved sizes of one convolution (or pooling: k = c, r x s = window, dil 1).
struct conv_dims {
  int64_t n, h, w, c, k, r, s, p, q, top, left;
};

// Output extent and leading pad along one axis (TF/Keras SAME rule).
void out_extent(int64_t in, int64_t win, int64_t stride, int64_t dil, padding pad, int64_t before, int64_t after,
                int64_t* out, int64_t* lead);
conv_dims conv_shape(const conv_cfg& cfg, int64_t n, int64_t h, int64_t w, int64_t c, int64_t k, int64_t r, int64_t s);

// Index helpers for both layouts: image (n,h,w,c), filter (k,r,s,c).
int64_t image_index(const conv_dims& d, bool nchw, int64_t n, int64_t h, int64_t w, int64_t c, int64_t H, int64_t W,
                    int64_t C);
int64_t filter_index(const conv_dims& d, bool nchw, int64_t k, int64_t r, int64_t s, int64_t c);

double apply_act(act a, double v);
vec conv_fwd(const conv_cfg& cfg, const conv_dims& d, const vec& x, const vec& w, const vec* bias, act a);

enum class pool_mode { max, avg };
// d.k/d.r/d.s carry (c, window_h, window_w); stride/pads from cfg.
vec pool_fwd(const conv_cfg& cfg, const conv_dims& d, pool_mode mode, const vec& x);

// c = alpha * op(a) * op(b) + beta * c0, a (M,K) or (K,M) if ta, b (K,N) or (N,K) if tb.
vec gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const vec& a, const vec& b, double beta,
         const vec& c0);

vec activation(act a, const vec& x);
// Channel axis = last (nhwc) or 1 (nchw) of `shape`.
vec bias_add(const std::vector<int64_t>& shape, bool nchw, const vec& x, const vec& b);
vec softmax(const vec& x, int64_t cols, bool log);
// Returns the loss; probs gets softmax(logits).
double softmax_xent(const vec& logits, const std::vector<int32_t>& labels, int64_t cols, bool mean, vec* probs);
vec reduce(const std::vector<int64_t>& shape, int axis, bool mean, const vec& x);
std::vector<int32_t> argmax(const vec& x, int64_t cols);

struct adam_cfg {
  double lr, beta1, beta2, epsilon;
  int64_t step;
};
void adam(const adam_cfg& a, const vec& g, vec& p, vec& m, vec& v);
void sgd(double lr, double momentum, bool nesterov, const vec& g, vec& p, vec* velocity);

// Central difference of a scalar function of `x` at every element.
template <typename Loss>
vec numeric_grad(vec x, Loss&& loss, double h = 1e-5) {
  vec g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + h;
    const double up = loss(x);
    x[i] = saved - h;
    const double down = loss(x);
    x[i] = saved;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

double dot(const vec& a, const vec& b);

}  // namespace ref
