// gpu_conformance_test.cpp — every v1 op on the cudnn plugin against
// openblas-cpu: fresh random inputs, outputs poisoned with NaN before each
// run (unless the op reads them), per-op tolerances; a directional gradient
// check of the convolution; the reference CNN's loss falling on the GPU.
// Without a usable GPU each case prints a visible SKIPPED message.
#include <dlfcn.h>

#include <cmath>
#include <map>
#include <functional>
#include <limits>
#include <random>

#include "runtime_support.hpp"
#ifdef BP_CUDNN_HAVE_NN
#include "backplane/nn/nn.hpp"
#endif

namespace {

using shape_t = std::vector<int64_t>;

struct tspec {
  shape_t shape;
  bool is_int = false;
  int int_range = 0;           // labels in [0, int_range)
  float lo = -1.0f, hi = 1.0f;  // float range
  bool read_by_op = false;     // output the op also reads: initialised instead of poisoned
};

struct op_case {
  std::string name;
  bp_op_kind kind;
  const void* attrs;
  std::vector<tspec> ins, outs;
  float tol = 1e-5f;
  // Optional: derive some inputs from others on the host (e.g. y = maxpool(x)).
  std::function<void(std::vector<std::vector<float>>&)> derive;
};

int64_t numel(const shape_t& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Runs `c` with the given host data; returns each output as floats (ints converted).
std::vector<std::vector<float>> run_on(bp::runtime& rt, const op_case& c, const std::vector<std::vector<float>>& in,
                                       const std::vector<std::vector<float>>& out_init) {
  std::vector<bp::tensor> ins, outs;
  std::vector<bp_tensor_t> in_h, out_h;
  for (size_t i = 0; i < c.ins.size(); ++i) {
    ins.emplace_back(rt, c.ins[i].is_int ? bp::i32 : bp::f32, c.ins[i].shape);
    if (c.ins[i].is_int) {
      std::vector<int32_t> v(in[i].begin(), in[i].end());
      ins.back().write(v);
    } else {
      ins.back().write(in[i]);
    }
    in_h.push_back(ins.back().get());
  }
  for (size_t i = 0; i < c.outs.size(); ++i) {
    outs.emplace_back(rt, c.outs[i].is_int ? bp::i32 : bp::f32, c.outs[i].shape);
    if (c.outs[i].is_int) {
      outs.back().write(std::vector<int32_t>(size_t(numel(c.outs[i].shape)), -7));
    } else {
      outs.back().write(out_init[i]);
    }
    out_h.push_back(outs.back().get());
  }
  bp::check(bp_op_run(rt.get(), c.kind, c.attrs, in_h.data(), uint32_t(in_h.size()), out_h.data(), uint32_t(out_h.size())));
  std::vector<std::vector<float>> result;
  for (size_t i = 0; i < c.outs.size(); ++i) {
    if (c.outs[i].is_int) {
      std::vector<int32_t> v(size_t(numel(c.outs[i].shape)));
      bp::check(bp_tensor_read(outs[i].get(), v.data(), v.size() * 4));
      result.emplace_back(v.begin(), v.end());
    } else {
      std::vector<float> v(size_t(numel(c.outs[i].shape)));
      bp::check(bp_tensor_read(outs[i].get(), v.data(), v.size() * 4));
      result.push_back(v);
    }
  }
  return result;
}

void compare(bp::runtime& gpu, bp::runtime& cpu, const op_case& c, std::mt19937& rng) {
  CAPTURE(c.name);
  auto fill = [&](const tspec& s) {
    std::vector<float> v(size_t(numel(s.shape)));
    if (s.is_int) {
      std::uniform_int_distribution<int> d(0, s.int_range - 1);
      for (auto& x : v) x = float(d(rng));
    } else {
      std::uniform_real_distribution<float> d(s.lo, s.hi);
      for (auto& x : v) x = d(rng);
    }
    return v;
  };
  std::vector<std::vector<float>> in, out_init;
  for (const auto& s : c.ins) in.push_back(fill(s));
  if (c.derive) c.derive(in);
  for (const auto& s : c.outs)
    out_init.push_back(s.read_by_op ? fill(s)
                                    : std::vector<float>(size_t(numel(s.shape)), std::numeric_limits<float>::quiet_NaN()));
  const auto want = run_on(cpu, c, in, out_init);
  const auto got = run_on(gpu, c, in, out_init);
  for (size_t o = 0; o < want.size(); ++o) {
    double worst = 0;
    size_t bad = 0;
    for (size_t i = 0; i < want[o].size(); ++i) {
      const double err = std::fabs(double(got[o][i]) - double(want[o][i])) / (1.0 + std::fabs(double(want[o][i])));
      if (!(err <= c.tol)) ++bad;  // NaN counts as bad
      if (err > worst || std::isnan(err)) worst = std::isnan(err) ? INFINITY : err;
    }
    CHECK_MESSAGE(bad == 0, c.name << " output " << o << ": " << bad << " of " << want[o].size()
                                   << " elements off, worst relative error " << worst << " (tolerance " << c.tol << ")");
  }
}

// Host max pool 2x2 stride 2 (NHWC) so POOL2D_BWD gets a y consistent with x.
std::vector<float> host_maxpool2(const std::vector<float>& x, int64_t n, int64_t h, int64_t w, int64_t c) {
  std::vector<float> y(size_t(n * (h / 2) * (w / 2) * c), -INFINITY);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < h / 2 * 2; ++i)
      for (int64_t j = 0; j < w / 2 * 2; ++j)
        for (int64_t k = 0; k < c; ++k) {
          float& dst = y[size_t(((b * (h / 2) + i / 2) * (w / 2) + j / 2) * c + k)];
          dst = std::max(dst, x[size_t(((b * h + i) * w + j) * c + k)]);
        }
  return y;
}

std::vector<float> host_softmax(const std::vector<float>& x, int64_t rows, int64_t cols) {
  std::vector<float> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    float m = -INFINITY, s = 0;
    for (int64_t k = 0; k < cols; ++k) m = std::max(m, x[size_t(r * cols + k)]);
    for (int64_t k = 0; k < cols; ++k) s += std::exp(x[size_t(r * cols + k)] - m);
    for (int64_t k = 0; k < cols; ++k) y[size_t(r * cols + k)] = std::exp(x[size_t(r * cols + k)] - m) / s;
  }
  return y;
}

}  // namespace

TEST_CASE("GPU conformance: every v1 op on cudnn matches openblas-cpu") {
  auto gpu = cudnn_test::gpu_runtime_or_skip();
  if (!gpu) return;
  auto cpu = cudnn_test::cpu_runtime();
  std::mt19937 rng(1234);
  auto conv = [](bp_layout layout, int stride, bp_padding pad, int p, bp_activation act) {
    bp_conv2d_attrs a = bp::init_struct<bp_conv2d_attrs>();
    a.layout = layout, a.stride_h = a.stride_w = stride, a.dilation_h = a.dilation_w = 1, a.padding = pad;
    a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = p;
    a.activation = act;
    return a;
  };
  static const bp_conv2d_attrs conv_nhwc = conv(BP_LAYOUT_NHWC, 1, BP_PADDING_VALID, 0, BP_ACTIVATION_RELU);
  static const bp_conv2d_attrs conv_plain = conv(BP_LAYOUT_NHWC, 1, BP_PADDING_VALID, 0, BP_ACTIVATION_NONE);
  static const bp_conv2d_attrs conv_nchw = conv(BP_LAYOUT_NCHW, 2, BP_PADDING_EXPLICIT, 1, BP_ACTIVATION_TANH);
  static const bp_conv2d_attrs conv_same = conv(BP_LAYOUT_NHWC, 1, BP_PADDING_SAME, 0, BP_ACTIVATION_SIGMOID);
  static bp_layout_attrs nhwc = bp::init_struct<bp_layout_attrs>(), nchw = bp::init_struct<bp_layout_attrs>();
  nchw.layout = BP_LAYOUT_NCHW;
  auto act = [](bp_activation a) {
    bp_activation_attrs s = bp::init_struct<bp_activation_attrs>();
    s.activation = a;
    return s;
  };
  static const bp_activation_attrs relu = act(BP_ACTIVATION_RELU), sigm = act(BP_ACTIVATION_SIGMOID),
                                   tanh_a = act(BP_ACTIVATION_TANH), none = act(BP_ACTIVATION_NONE);
  auto pool = [](bp_pool_mode m, int win, int stride, bp_padding pad, int p) {
    bp_pool2d_attrs a = bp::init_struct<bp_pool2d_attrs>();
    a.layout = BP_LAYOUT_NHWC, a.mode = m, a.window_h = a.window_w = win, a.stride_h = a.stride_w = stride;
    a.padding = pad, a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = p;
    return a;
  };
  static const bp_pool2d_attrs max2 = pool(BP_POOL_MAX, 2, 2, BP_PADDING_VALID, 0);
  static const bp_pool2d_attrs avg3 = pool(BP_POOL_AVG, 3, 1, BP_PADDING_EXPLICIT, 1);
  auto gemm = [](int ta, int tb, float beta) {
    bp_gemm_attrs g = bp::init_struct<bp_gemm_attrs>();
    g.trans_a = ta, g.trans_b = tb, g.alpha = 0.75f, g.beta = beta;
    return g;
  };
  static const bp_gemm_attrs g00 = gemm(0, 0, 0), g01 = gemm(0, 1, 0), g10 = gemm(1, 0, 0.5f), g11 = gemm(1, 1, 0.5f);
  static bp_softmax_attrs smax = bp::init_struct<bp_softmax_attrs>(), logsmax = bp::init_struct<bp_softmax_attrs>();
  logsmax.log = 1;
  static bp_xent_attrs mean = bp::init_struct<bp_xent_attrs>(), sum = bp::init_struct<bp_xent_attrs>();
  mean.reduction = BP_REDUCE_MEAN, sum.reduction = BP_REDUCE_SUM;
  static bp_adam_attrs adam = bp::init_struct<bp_adam_attrs>();
  adam.lr = 0.001f, adam.beta1 = 0.9f, adam.beta2 = 0.999f, adam.epsilon = 1e-7f, adam.step = 3;
  static bp_sgd_attrs sgd_m = bp::init_struct<bp_sgd_attrs>(), sgd_n = bp::init_struct<bp_sgd_attrs>(),
                      sgd_0 = bp::init_struct<bp_sgd_attrs>();
  sgd_m.lr = sgd_n.lr = sgd_0.lr = 0.05f, sgd_m.momentum = sgd_n.momentum = 0.9f, sgd_n.nesterov = 1;
  static bp_scalar_attrs scale = bp::init_struct<bp_scalar_attrs>();
  scale.value = -1.5f;
  static bp_reduce_attrs all_sum = bp::init_struct<bp_reduce_attrs>(), axis_mean = bp::init_struct<bp_reduce_attrs>();
  all_sum.mode = BP_REDUCE_SUM, all_sum.axis = -1, axis_mean.mode = BP_REDUCE_MEAN, axis_mean.axis = 1;

  const tspec pos{{}, false, 0, 0.05f, 0.95f};
  auto P = [&](shape_t s) { tspec t = pos; t.shape = std::move(s); return t; };
  auto F = [](shape_t s) { return tspec{std::move(s)}; };
  auto RW = [](shape_t s, float lo = -1, float hi = 1) { return tspec{std::move(s), false, 0, lo, hi, true}; };
  auto L = [](shape_t s, int range) { return tspec{std::move(s), true, range}; };
  std::vector<op_case> cases = {
      {"conv fwd NHWC bias relu", BP_OP_CONV2D_FWD, &conv_nhwc, {F({2, 9, 9, 3}), F({8, 3, 3, 3}), F({8})}, {F({2, 7, 7, 8})}, 1e-4f},
      {"conv fwd NHWC SAME sigmoid", BP_OP_CONV2D_FWD, &conv_same, {F({2, 8, 8, 4}), F({5, 3, 3, 4})}, {F({2, 8, 8, 5})}, 1e-4f},
      {"conv fwd NCHW stride 2 pad 1 tanh", BP_OP_CONV2D_FWD, &conv_nchw, {F({2, 3, 9, 9}), F({4, 3, 3, 3}), F({4})}, {F({2, 4, 5, 5})}, 1e-4f},
      {"conv bwd data NHWC", BP_OP_CONV2D_BWD_DATA, &conv_plain, {F({2, 7, 7, 8}), F({8, 3, 3, 3})}, {F({2, 9, 9, 3})}, 1e-4f},
      {"conv bwd filter NHWC", BP_OP_CONV2D_BWD_FILTER, &conv_plain, {F({2, 9, 9, 3}), F({2, 7, 7, 8})}, {F({8, 3, 3, 3})}, 1e-4f},
      {"conv bwd data NCHW", BP_OP_CONV2D_BWD_DATA, &conv_nchw, {F({2, 4, 5, 5}), F({4, 3, 3, 3})}, {F({2, 3, 9, 9})}, 1e-4f},
      {"conv bwd filter NCHW", BP_OP_CONV2D_BWD_FILTER, &conv_nchw, {F({2, 3, 9, 9}), F({2, 4, 5, 5})}, {F({4, 3, 3, 3})}, 1e-4f},
      {"bias add NHWC", BP_OP_BIAS_ADD, &nhwc, {F({2, 5, 5, 4}), F({4})}, {F({2, 5, 5, 4})}},
      {"bias add NCHW", BP_OP_BIAS_ADD, &nchw, {F({2, 4, 5, 5}), F({4})}, {F({2, 4, 5, 5})}},
      {"bias grad NHWC", BP_OP_BIAS_GRAD, &nhwc, {F({2, 5, 5, 4})}, {F({4})}, 1e-4f},
      {"bias grad NCHW", BP_OP_BIAS_GRAD, &nchw, {F({2, 4, 5, 5})}, {F({4})}, 1e-4f},
      {"relu fwd", BP_OP_ACTIVATION_FWD, &relu, {F({3, 7})}, {F({3, 7})}},
      {"sigmoid fwd", BP_OP_ACTIVATION_FWD, &sigm, {F({3, 7})}, {F({3, 7})}, 1e-5f},
      {"tanh fwd", BP_OP_ACTIVATION_FWD, &tanh_a, {F({3, 7})}, {F({3, 7})}, 1e-5f},
      {"identity fwd", BP_OP_ACTIVATION_FWD, &none, {F({3, 7})}, {F({3, 7})}},
      {"relu bwd", BP_OP_ACTIVATION_BWD, &relu, {F({3, 7}), F({3, 7})}, {F({3, 7})}},
      {"sigmoid bwd", BP_OP_ACTIVATION_BWD, &sigm, {P({3, 7}), F({3, 7})}, {F({3, 7})}, 1e-5f},
      {"tanh bwd", BP_OP_ACTIVATION_BWD, &tanh_a, {F({3, 7}), F({3, 7})}, {F({3, 7})}, 1e-5f},
      {"max pool fwd", BP_OP_POOL2D_FWD, &max2, {F({2, 8, 8, 3})}, {F({2, 4, 4, 3})}},
      {"avg pool fwd pad 1", BP_OP_POOL2D_FWD, &avg3, {F({2, 6, 6, 3})}, {F({2, 6, 6, 3})}, 1e-5f},
      {"max pool bwd", BP_OP_POOL2D_BWD, &max2, {F({2, 8, 8, 3}), F({2, 4, 4, 3}), F({2, 4, 4, 3})}, {F({2, 8, 8, 3})}, 1e-5f,
       [](std::vector<std::vector<float>>& in) { in[1] = host_maxpool2(in[0], 2, 8, 8, 3); }},
      {"gemm NN", BP_OP_GEMM, &g00, {F({5, 7}), F({7, 3})}, {F({5, 3})}, 1e-5f},
      {"gemm NT", BP_OP_GEMM, &g01, {F({5, 7}), F({3, 7})}, {F({5, 3})}, 1e-5f},
      {"gemm TN beta", BP_OP_GEMM, &g10, {F({7, 5}), F({7, 3})}, {RW({5, 3})}, 1e-5f},
      {"gemm TT beta", BP_OP_GEMM, &g11, {F({7, 5}), F({3, 7})}, {RW({5, 3})}, 1e-5f},
      {"softmax", BP_OP_SOFTMAX, &smax, {F({4, 10})}, {F({4, 10})}, 1e-5f},
      {"log softmax", BP_OP_SOFTMAX, &logsmax, {F({4, 10})}, {F({4, 10})}, 1e-5f},
      {"softmax bwd", BP_OP_SOFTMAX_BWD, &smax, {F({4, 10}), F({4, 10})}, {F({4, 10})}, 1e-5f,
       [](std::vector<std::vector<float>>& in) { in[0] = host_softmax(in[0], 4, 10); }},
      {"xent fwd mean", BP_OP_SOFTMAX_XENT_FWD, &mean, {F({32, 10}), L({32}, 10)}, {F({1}), F({32, 10})}, 1e-5f},
      {"xent fwd sum", BP_OP_SOFTMAX_XENT_FWD, &sum, {F({32, 10}), L({32}, 10)}, {F({1}), F({32, 10})}, 1e-5f},
      {"xent bwd mean", BP_OP_SOFTMAX_XENT_BWD, &mean, {F({32, 10}), L({32}, 10)}, {F({32, 10})}, 1e-5f,
       [](std::vector<std::vector<float>>& in) { in[0] = host_softmax(in[0], 32, 10); }},
      {"adam", BP_OP_ADAM_UPDATE, &adam, {F({257})}, {RW({257}), RW({257}), RW({257}, 0.01f, 1.0f)}, 1e-5f},
      {"sgd momentum", BP_OP_SGD_UPDATE, &sgd_m, {F({257})}, {RW({257}), RW({257})}, 1e-5f},
      {"sgd nesterov", BP_OP_SGD_UPDATE, &sgd_n, {F({257})}, {RW({257}), RW({257})}, 1e-5f},
      {"sgd plain", BP_OP_SGD_UPDATE, &sgd_0, {F({257})}, {RW({257})}, 1e-5f},
      {"add", BP_OP_ADD, nullptr, {F({5, 7}), F({5, 7})}, {F({5, 7})}},
      {"sub", BP_OP_SUB, nullptr, {F({5, 7}), F({5, 7})}, {F({5, 7})}},
      {"mul", BP_OP_MUL, nullptr, {F({5, 7}), F({5, 7})}, {F({5, 7})}},
      {"scale", BP_OP_SCALE, &scale, {F({5, 7})}, {F({5, 7})}},
      {"fill", BP_OP_FILL, &scale, {}, {F({5, 7})}},
      {"copy", BP_OP_COPY, nullptr, {F({5, 7})}, {F({5, 7})}},
      {"reduce sum all", BP_OP_REDUCE, &all_sum, {F({4, 5, 6})}, {F({1})}, 1e-4f},
      {"reduce mean axis 1", BP_OP_REDUCE, &axis_mean, {F({4, 5, 6})}, {F({4, 1, 6})}, 1e-5f},
      {"argmax", BP_OP_ARGMAX, nullptr, {F({8, 10})}, {tspec{{8}, true, 10}}},
      {"argmax 3-D (last axis)", BP_OP_ARGMAX, nullptr, {F({2, 3, 40})}, {tspec{{2, 3}, true, 40}}},
  };
  for (const op_case& c : cases) {
    for (int round = 0; round < 2; ++round) {  // fresh inputs each round; the 2nd hits cached algorithms/blocks
      try {
        compare(*gpu, *cpu, c, rng);
      } catch (const bp::error& e) {
        FAIL_CHECK(c.name << ": " << e.what());
      }
    }
  }
}

TEST_CASE("GPU gradient check: conv backward = directional derivative of conv forward") {
  auto gpu = cudnn_test::gpu_runtime_or_skip();
  if (!gpu) return;
  bp::runtime& rt = *gpu;
  bp_conv2d_attrs a = bp::init_struct<bp_conv2d_attrs>();
  a.layout = BP_LAYOUT_NHWC, a.stride_h = a.stride_w = 1, a.dilation_h = a.dilation_w = 1, a.padding = BP_PADDING_VALID;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  auto rnd = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng);
    return v;
  };
  const shape_t xs{2, 6, 6, 3}, ws{4, 3, 3, 3}, ys{2, 4, 4, 4};
  const auto x = rnd(size_t(numel(xs))), w = rnd(size_t(numel(ws))), g = rnd(size_t(numel(ys)));
  const auto dxdir = rnd(x.size()), dwdir = rnd(w.size());
  auto run = [&](bp_op_kind kind, const std::vector<float>& i0, shape_t s0, const std::vector<float>& i1, shape_t s1,
                 shape_t so) {
    bp::tensor t0(rt, bp::f32, s0), t1(rt, bp::f32, s1), out(rt, bp::f32, so);
    t0.write(i0), t1.write(i1);
    bp_tensor_t ins[] = {t0.get(), t1.get()}, outs[] = {out.get()};
    bp::check(bp_op_run(rt.get(), kind, &a, ins, 2, outs, 1));
    std::vector<float> v(size_t(numel(so)));
    bp::check(bp_tensor_read(out.get(), v.data(), v.size() * 4));
    return v;
  };
  auto dot = [](const std::vector<float>& p, const std::vector<float>& q) {
    double s = 0;
    for (size_t i = 0; i < p.size(); ++i) s += double(p[i]) * q[i];
    return s;
  };
  auto f = [&](const std::vector<float>& xv, const std::vector<float>& wv) {
    return dot(run(BP_OP_CONV2D_FWD, xv, xs, wv, ws, ys), g);
  };
  const float eps = 1e-2f;
  auto shifted = [&](const std::vector<float>& v, const std::vector<float>& d, float s) {
    std::vector<float> r(v);
    for (size_t i = 0; i < r.size(); ++i) r[i] += s * d[i];
    return r;
  };
  const double fd_x = (f(shifted(x, dxdir, eps), w) - f(shifted(x, dxdir, -eps), w)) / (2 * eps);
  const double an_x = dot(run(BP_OP_CONV2D_BWD_DATA, g, ys, w, ws, xs), dxdir);
  const double fd_w = (f(x, shifted(w, dwdir, eps)) - f(x, shifted(w, dwdir, -eps))) / (2 * eps);
  const double an_w = dot(run(BP_OP_CONV2D_BWD_FILTER, x, xs, g, ys, ws), dwdir);
  CHECK(std::fabs(fd_x - an_x) <= 1e-3 * (1 + std::fabs(an_x)));
  CHECK(std::fabs(fd_w - an_w) <= 1e-3 * (1 + std::fabs(an_w)));
}

#ifdef BP_CUDNN_HAVE_NN
namespace {

// 28x28x3 images whose class is the brightest of 10 horizontal bands (learnable, deterministic).
bp::nn::Dataset brightest_band(int64_t count) {
  bp::nn::Dataset data;
  data.name = "brightest-band";
  data.count = count;
  data.height = data.width = 28;
  data.channels = 3;
  data.num_classes = 10;
  bp::nn::Rng rng(3);
  data.images.resize(size_t(data.count * 28 * 28 * 3));
  data.labels.resize(size_t(data.count));
  for (int64_t n = 0; n < data.count; ++n) {
    const int32_t band = int32_t(rng.below(10));
    data.labels[size_t(n)] = band;
    for (int64_t i = 0; i < 28 * 28 * 3; ++i) {
      const int64_t row = i / (28 * 3);
      data.images[size_t(n * 28 * 28 * 3 + i)] = float(0.5 * rng.uniform() + (row * 10 / 28 == band ? 0.5 : 0.0));
    }
  }
  return data;
}

// The reference CNN, built and compiled (Adam 0.001).
std::unique_ptr<bp::nn::Sequential> reference_cnn(bp::runtime& rt) {
  auto model = std::make_unique<bp::nn::Sequential>(rt);
  model->add<bp::nn::Conv2D>(32, 3, BP_ACTIVATION_RELU);
  model->add<bp::nn::MaxPool2D>(2);
  model->add<bp::nn::Flatten>();
  model->add<bp::nn::Dense>(10);
  model->build({28, 28, 3}, 10, 5);
  model->compile(std::make_unique<bp::nn::Adam>(bp::nn::AdamOptions{0.001f}));
  return model;
}

}  // namespace
#endif

TEST_CASE("GPU training: the reference CNN's loss falls on cudnn") {
#ifndef BP_CUDNN_HAVE_NN
  BP_SKIP("backplane_nn is not part of this build (BACKPLANE_BUILD_APPS=OFF)");
#else
  auto gpu = cudnn_test::gpu_runtime_or_skip();
  if (!gpu) return;
  const bp::nn::Dataset data = brightest_band(640);
  auto model_ptr = reference_cnn(*gpu);
  bp::nn::Sequential& model = *model_ptr;
  bp::nn::FitOptions fit;
  fit.epochs = 3;
  fit.batch_size = 32;
  fit.seed = 9;
  const bp::nn::History h = model.fit(data, fit);
  REQUIRE(h.epochs.size() == 3);
  MESSAGE("loss per epoch: " << h.epochs[0].loss << " " << h.epochs[1].loss << " " << h.epochs[2].loss);
  CHECK(h.epochs.back().loss < 0.8 * h.epochs.front().loss);
#endif
}

#ifdef BP_CUDNN_HAVE_NN

namespace {

// The emulated driver's call counters (tests/cudnn/emulator/emu_hooks.h), or nullptr on a real driver.
using counter_fn = uint64_t (*)(const char*);
counter_fn emulated_counters() {
  void* driver = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  return driver ? reinterpret_cast<counter_fn>(::dlsym(driver, "bp_emu_counter")) : nullptr;
}

// Records the driver's counters after every step.
struct step_counters : bp::nn::Callback {
  counter_fn counter;
  std::vector<std::map<std::string, uint64_t>> after_step;
  explicit step_counters(counter_fn c) : counter(c) {}
  void on_step_end(int, int64_t, int64_t, double, bp::nn::MetricsReader&) override {
    std::map<std::string, uint64_t> now;
    for (const char* what : {"mem_alloc", "mem_free", "stream_sync", "ctx_sync", "d2h", "h2d", "launch"})
      now[what] = counter(what);
    after_step.push_back(now);
  }
};

}  // namespace

TEST_CASE("GPU training loop: after warm-up a step allocates nothing and never waits for the device") {
  auto gpu = cudnn_test::gpu_runtime_or_skip();
  if (!gpu) return;
  const counter_fn counter = emulated_counters();
  if (!counter) {
    BP_SKIP("driver call counters exist only on the emulated CUDA stack (tests/cudnn/emulator)");
    return;
  }
  const bp::nn::Dataset data = brightest_band(320);
  auto model = reference_cnn(*gpu);
  step_counters counters(counter);
  bp::nn::FitOptions fit;
  fit.epochs = 2;
  fit.batch_size = 32;
  fit.callbacks = {&counters};
  model->fit(data, fit);
  REQUIRE(counters.after_step.size() == 20);
  // Steps 3..10 of epoch 2 (epoch 1 makes the per-step metric slots): the
  // caching allocator, the staged uploads and the metrics kept on the device
  // mean no cuMemAlloc/cuMemFree and no synchronisation; the batch goes up,
  // nothing comes down, so the host can run ahead of the GPU.
  const auto& first = counters.after_step[11];
  const auto& last = counters.after_step[19];
  auto per_step = [&](const char* what) { return double(last.at(what) - first.at(what)) / 8.0; };
  MESSAGE("per step after warm-up: " << per_step("launch") << " kernel launches, " << per_step("h2d")
                                     << " host-to-device copies, " << per_step("d2h") << " device-to-host copies, "
                                     << per_step("stream_sync") + per_step("ctx_sync") << " synchronisations, "
                                     << per_step("mem_alloc") << " allocations");
  CHECK(per_step("mem_alloc") == 0);
  CHECK(per_step("mem_free") == 0);
  CHECK(per_step("stream_sync") == 0);
  CHECK(per_step("ctx_sync") == 0);
  CHECK(per_step("d2h") == 0);
}
#endif
