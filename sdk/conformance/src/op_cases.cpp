// op_cases.cpp — the problem set and its random data.
#include "op_cases.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "backplane/sdk/tensor_util.hpp"

namespace bp::conformance::detail {
namespace {

constexpr bp_dtype f32{BP_DTYPE_FLOAT, 32, 1};
constexpr bp_dtype i32{BP_DTYPE_INT, 32, 1};

template <typename A>
std::vector<unsigned char> bytes_of(A attrs) {
  attrs.struct_size = sizeof(A);
  std::vector<unsigned char> out(sizeof(A));
  std::memcpy(out.data(), &attrs, sizeof(A));
  return out;
}

std::string shape_text(const std::vector<int64_t>& s) { return bp::sdk::shape_string(s.data(), int32_t(s.size())); }

// Tolerance classes: exact-ish elementwise, transcendental, reductions.
constexpr double kExactAtol = 1e-6, kExactRtol = 1e-6;
constexpr double kTransAtol = 2e-5, kTransRtol = 1e-4;
constexpr double kReduceAtol = 1e-4, kReduceRtol = 1e-3;

void add_gemm(std::vector<op_case>& out) {
  struct g { int64_t m, k, n; int32_t ta, tb; float alpha, beta; };
  for (const g& p : {g{1, 1, 1, 0, 0, 1.f, 0.f}, g{7, 5, 3, 0, 0, 1.f, 0.f}, g{17, 33, 9, 1, 0, 1.f, 0.f},
                     g{8, 13, 11, 0, 1, 0.5f, 0.f}, g{5, 9, 6, 1, 1, 1.f, 0.5f}, g{32, 64, 10, 0, 0, 1.f, 1.f}}) {
    op_case c;
    c.kind = BP_OP_GEMM;
    bp_gemm_attrs a{};
    a.trans_a = p.ta, a.trans_b = p.tb, a.alpha = p.alpha, a.beta = p.beta;
    c.attrs = bytes_of(a);
    c.inputs = {{p.ta ? std::vector<int64_t>{p.k, p.m} : std::vector<int64_t>{p.m, p.k}, f32, fill::uniform},
                {p.tb ? std::vector<int64_t>{p.n, p.k} : std::vector<int64_t>{p.k, p.n}, f32, fill::uniform}};
    c.outputs = {{{p.m, p.n}, f32, p.beta == 0.f ? fill::poison : fill::uniform}};
    c.atol = kReduceAtol, c.rtol = kReduceRtol;
    c.label = "GEMM m=" + std::to_string(p.m) + " k=" + std::to_string(p.k) + " n=" + std::to_string(p.n) +
              (p.ta ? " trans_a" : "") + (p.tb ? " trans_b" : "") + " alpha=" + std::to_string(p.alpha).substr(0, 4) +
              " beta=" + std::to_string(p.beta).substr(0, 4);
    out.push_back(std::move(c));
  }
}

const char* activation_name(bp_activation a) {
  return a == BP_ACTIVATION_RELU ? "RELU" : a == BP_ACTIVATION_SIGMOID ? "SIGMOID" : a == BP_ACTIVATION_TANH ? "TANH" : "NONE";
}

void add_activation(std::vector<op_case>& out, bool forward) {
  const std::vector<std::vector<int64_t>> shapes = {{3, 5, 7}, {1}, {2, 3, 4, 5}};
  for (bp_activation act : {BP_ACTIVATION_RELU, BP_ACTIVATION_SIGMOID, BP_ACTIVATION_TANH, BP_ACTIVATION_NONE}) {
    for (size_t si = 0; si < (act == BP_ACTIVATION_RELU ? shapes.size() : 1); ++si) {
      op_case c;
      c.kind = forward ? BP_OP_ACTIVATION_FWD : BP_OP_ACTIVATION_BWD;
      bp_activation_attrs a{};
      a.activation = act;
      c.attrs = bytes_of(a);
      const auto& s = shapes[si];
      const fill y_fill = act == BP_ACTIVATION_RELU      ? fill::relu_out
                          : act == BP_ACTIVATION_SIGMOID ? fill::sigmoid_out
                          : act == BP_ACTIVATION_TANH    ? fill::tanh_out
                                                         : fill::uniform;
      if (forward)
        c.inputs = {{s, f32, fill::uniform}};
      else
        c.inputs = {{s, f32, y_fill}, {s, f32, fill::uniform}};
      c.outputs = {{s, f32, fill::poison}};
      const bool exact = act == BP_ACTIVATION_RELU || act == BP_ACTIVATION_NONE || !forward;
      c.atol = exact ? kExactAtol : kTransAtol, c.rtol = exact ? kExactRtol : kTransRtol;
      c.label = std::string(forward ? "ACTIVATION_FWD " : "ACTIVATION_BWD ") + activation_name(act) + " " + shape_text(s);
      out.push_back(std::move(c));
    }
  }
}

void add_binary(std::vector<op_case>& out) {
  for (bp_op_kind kind : {BP_OP_ADD, BP_OP_SUB, BP_OP_MUL}) {
    for (const std::vector<int64_t>& s : {std::vector<int64_t>{3, 7, 5}, std::vector<int64_t>{1}, std::vector<int64_t>{64, 33}}) {
      op_case c;
      c.kind = kind;
      c.inputs = {{s, f32, fill::uniform}, {s, f32, fill::uniform}};
      c.outputs = {{s, f32, fill::poison}};
      c.atol = kExactAtol, c.rtol = kExactRtol;
      c.label = std::string(bp::sdk::op_kind_name(kind)) + " " + shape_text(s);
      out.push_back(std::move(c));
    }
  }
  {
    op_case c;
    c.kind = BP_OP_SCALE;
    bp_scalar_attrs a{};
    a.value = 0.37f;
    c.attrs = bytes_of(a);
    c.inputs = {{{5, 11}, f32, fill::uniform}};
    c.outputs = {{{5, 11}, f32, fill::poison}};
    c.label = "SCALE alpha=0.37 (5,11)";
    out.push_back(std::move(c));
  }
  {
    op_case c;
    c.kind = BP_OP_FILL;
    bp_scalar_attrs a{};
    a.value = 2.5f;
    c.attrs = bytes_of(a);
    c.outputs = {{{3, 4}, f32, fill::poison}};
    c.label = "FILL value=2.5 (3,4)";
    out.push_back(std::move(c));
  }
  {
    op_case c;
    c.kind = BP_OP_COPY;
    c.inputs = {{{6, 7}, f32, fill::uniform}};
    c.outputs = {{{6, 7}, f32, fill::poison}};
    c.label = "COPY (6,7)";
    out.push_back(std::move(c));
  }
}

void add_bias(std::vector<op_case>& out) {
  struct b { bp_layout layout; std::vector<int64_t> shape; int64_t channels; };
  for (const b& p : {b{BP_LAYOUT_NHWC, {2, 5, 5, 3}, 3}, b{BP_LAYOUT_NCHW, {1, 3, 4, 5}, 3}, b{BP_LAYOUT_NHWC, {7, 10}, 10}}) {
    bp_layout_attrs a{};
    a.layout = p.layout;
    const std::string where = std::string(p.layout == BP_LAYOUT_NCHW ? " NCHW " : " NHWC ") + shape_text(p.shape);
    op_case add;
    add.kind = BP_OP_BIAS_ADD;
    add.attrs = bytes_of(a);
    add.inputs = {{p.shape, f32, fill::uniform}, {{p.channels}, f32, fill::uniform}};
    add.outputs = {{p.shape, f32, fill::poison}};
    add.label = "BIAS_ADD" + where;
    out.push_back(std::move(add));
    op_case grad;
    grad.kind = BP_OP_BIAS_GRAD;
    grad.attrs = bytes_of(a);
    grad.inputs = {{p.shape, f32, fill::uniform}};
    grad.outputs = {{{p.channels}, f32, fill::poison}};
    grad.atol = kReduceAtol, grad.rtol = kReduceRtol;
    grad.label = "BIAS_GRAD" + where;
    out.push_back(std::move(grad));
  }
}

struct conv_problem {
  bp_layout layout;
  int64_t n, h, w, c, k, r, s;
  int32_t stride;
  bp_padding padding;
  bool bias;
  bp_activation activation;
};

void add_conv(std::vector<op_case>& out, bp_op_kind kind) {
  const conv_problem problems[] = {
      {BP_LAYOUT_NHWC, 2, 7, 7, 3, 4, 3, 3, 1, BP_PADDING_SAME, true, BP_ACTIVATION_RELU},
      {BP_LAYOUT_NHWC, 1, 9, 8, 2, 5, 3, 3, 2, BP_PADDING_VALID, false, BP_ACTIVATION_NONE},
      {BP_LAYOUT_NCHW, 2, 7, 6, 3, 4, 3, 3, 2, BP_PADDING_SAME, true, BP_ACTIVATION_NONE},
      {BP_LAYOUT_NHWC, 1, 5, 5, 1, 2, 1, 1, 1, BP_PADDING_VALID, false, BP_ACTIVATION_NONE},
  };
  for (const conv_problem& p : problems) {
    const bool nchw = p.layout == BP_LAYOUT_NCHW;
    bp_conv2d_attrs a{};
    a.layout = p.layout;
    a.stride_h = a.stride_w = p.stride;
    a.dilation_h = a.dilation_w = 1;
    a.padding = p.padding;
    a.activation = kind == BP_OP_CONV2D_FWD ? p.activation : BP_ACTIVATION_NONE;
    const std::vector<int64_t> x = nchw ? std::vector<int64_t>{p.n, p.c, p.h, p.w} : std::vector<int64_t>{p.n, p.h, p.w, p.c};
    const std::vector<int64_t> w = nchw ? std::vector<int64_t>{p.k, p.c, p.r, p.s} : std::vector<int64_t>{p.k, p.r, p.s, p.c};
    a.struct_size = sizeof a;
    const bp::sdk::conv_geometry g = bp::sdk::make_conv_geometry(a, x.data(), w.data());
    const std::vector<int64_t> y = nchw ? std::vector<int64_t>{p.n, p.k, g.p, g.q} : std::vector<int64_t>{p.n, g.p, g.q, p.k};
    op_case c;
    c.kind = kind;
    c.attrs = bytes_of(a);
    if (kind == BP_OP_CONV2D_FWD) {
      c.inputs = {{x, f32, fill::uniform}, {w, f32, fill::uniform}};
      if (p.bias) c.inputs.push_back({{p.k}, f32, fill::uniform});
      c.outputs = {{y, f32, fill::poison}};
    } else if (kind == BP_OP_CONV2D_BWD_DATA) {
      c.inputs = {{y, f32, fill::uniform}, {w, f32, fill::uniform}};
      c.outputs = {{x, f32, fill::poison}};
    } else {
      c.inputs = {{x, f32, fill::uniform}, {y, f32, fill::uniform}};
      c.outputs = {{w, f32, fill::poison}};
    }
    c.atol = kReduceAtol, c.rtol = kReduceRtol;
    c.label = std::string(bp::sdk::op_kind_name(kind)) + (nchw ? " NCHW x" : " NHWC x") + shape_text(x) + " w" +
              shape_text(w) + " stride " + std::to_string(p.stride) + (p.padding == BP_PADDING_SAME ? " SAME" : " VALID") +
              (kind == BP_OP_CONV2D_FWD && p.bias ? " +bias" : "") +
              (kind == BP_OP_CONV2D_FWD && p.activation == BP_ACTIVATION_RELU ? " +relu" : "");
    out.push_back(std::move(c));
  }
}

void add_pool(std::vector<op_case>& out, bool forward) {
  struct pp { bp_layout layout; bp_pool_mode mode; std::vector<int64_t> x; int32_t win, stride; bp_padding padding; };
  const pp problems[] = {
      {BP_LAYOUT_NHWC, BP_POOL_MAX, {2, 7, 7, 3}, 2, 2, BP_PADDING_VALID},
      {BP_LAYOUT_NHWC, BP_POOL_AVG, {1, 5, 5, 2}, 3, 2, BP_PADDING_SAME},
      {BP_LAYOUT_NCHW, BP_POOL_MAX, {2, 3, 6, 6}, 2, 2, BP_PADDING_VALID},
      {BP_LAYOUT_NHWC, BP_POOL_MAX, {1, 5, 4, 1}, 3, 2, BP_PADDING_SAME},
  };
  for (const pp& p : problems) {
    bp_pool2d_attrs a{};
    a.struct_size = sizeof a;
    a.layout = p.layout;
    a.mode = p.mode;
    a.window_h = a.window_w = p.win;
    a.stride_h = a.stride_w = p.stride;
    a.padding = p.padding;
    const bp::sdk::pool_geometry g = bp::sdk::make_pool_geometry(a, p.x.data());
    const bool nchw = p.layout == BP_LAYOUT_NCHW;
    const std::vector<int64_t> y = nchw ? std::vector<int64_t>{g.n, g.c, g.p, g.q} : std::vector<int64_t>{g.n, g.p, g.q, g.c};
    op_case c;
    c.kind = forward ? BP_OP_POOL2D_FWD : BP_OP_POOL2D_BWD;
    c.attrs = bytes_of(a);
    if (forward) {
      c.inputs = {{p.x, f32, fill::uniform}};
      c.outputs = {{y, f32, fill::poison}};
    } else {
      c.inputs = {{p.x, f32, fill::uniform}, {y, f32, fill::pool_output}, {y, f32, fill::uniform}};
      c.outputs = {{p.x, f32, fill::poison}};
    }
    c.atol = kReduceAtol, c.rtol = kReduceRtol;
    c.label = std::string(forward ? "POOL2D_FWD " : "POOL2D_BWD ") + (p.mode == BP_POOL_MAX ? "MAX " : "AVG ") +
              (nchw ? "NCHW x" : "NHWC x") + shape_text(p.x) + " window " + std::to_string(p.win) + " stride " +
              std::to_string(p.stride) + (p.padding == BP_PADDING_SAME ? " SAME" : " VALID");
    out.push_back(std::move(c));
  }
}

void add_softmax_and_loss(std::vector<op_case>& out) {
  for (int32_t log : {0, 1}) {
    for (const std::vector<int64_t>& s : {std::vector<int64_t>{4, 10}, std::vector<int64_t>{1, 7}}) {
      bp_softmax_attrs a{};
      a.log = log;
      op_case f;
      f.kind = BP_OP_SOFTMAX;
      f.attrs = bytes_of(a);
      f.inputs = {{s, f32, fill::uniform}};
      f.outputs = {{s, f32, fill::poison}};
      f.atol = kTransAtol, f.rtol = kTransRtol;
      f.label = std::string(log ? "SOFTMAX log " : "SOFTMAX ") + shape_text(s);
      op_case b = f;
      b.kind = BP_OP_SOFTMAX_BWD;
      b.inputs = {{s, f32, log ? fill::logprob_rows : fill::prob_rows}, {s, f32, fill::uniform}};
      b.label = std::string(log ? "SOFTMAX_BWD log " : "SOFTMAX_BWD ") + shape_text(s);
      out.push_back(std::move(f));
      out.push_back(std::move(b));
    }
  }
  for (bp_reduce_mode mode : {BP_REDUCE_MEAN, BP_REDUCE_SUM}) {
    bp_xent_attrs a{};
    a.reduction = mode;
    const int64_t n = mode == BP_REDUCE_MEAN ? 6 : 1, classes = 10;
    op_case f;
    f.kind = BP_OP_SOFTMAX_XENT_FWD;
    f.attrs = bytes_of(a);
    f.classes = int32_t(classes);
    f.inputs = {{{n, classes}, f32, fill::uniform}, {{n}, i32, fill::labels}};
    f.outputs = {{{1}, f32, fill::poison}, {{n, classes}, f32, fill::poison}};
    f.atol = kTransAtol, f.rtol = kTransRtol;
    f.label = std::string("SOFTMAX_XENT_FWD ") + (mode == BP_REDUCE_MEAN ? "MEAN" : "SUM") + " N=" + std::to_string(n);
    op_case b = f;
    b.kind = BP_OP_SOFTMAX_XENT_BWD;
    b.inputs = {{{n, classes}, f32, fill::prob_rows}, {{n}, i32, fill::labels}};
    b.outputs = {{{n, classes}, f32, fill::poison}};
    b.label = std::string("SOFTMAX_XENT_BWD ") + (mode == BP_REDUCE_MEAN ? "MEAN" : "SUM") + " N=" + std::to_string(n);
    out.push_back(std::move(f));
    out.push_back(std::move(b));
  }
}

void add_optimizers(std::vector<op_case>& out) {
  for (int64_t step : {1, 3}) {
    bp_adam_attrs a{};
    a.lr = 0.001f, a.beta1 = 0.9f, a.beta2 = 0.999f, a.epsilon = 1e-7f, a.step = step;
    op_case c;
    c.kind = BP_OP_ADAM_UPDATE;
    c.attrs = bytes_of(a);
    const std::vector<int64_t> s{5, 7};
    c.inputs = {{s, f32, fill::uniform}};
    c.outputs = {{s, f32, fill::uniform}, {s, f32, fill::uniform}, {s, f32, fill::positive}};
    c.atol = kTransAtol, c.rtol = kTransRtol;
    c.label = "ADAM_UPDATE step=" + std::to_string(step) + " (5,7)";
    out.push_back(std::move(c));
  }
  struct sp { float momentum; int32_t nesterov; };
  for (const sp& p : {sp{0.f, 0}, sp{0.9f, 0}, sp{0.9f, 1}}) {
    bp_sgd_attrs a{};
    a.lr = 0.01f, a.momentum = p.momentum, a.nesterov = p.nesterov;
    op_case c;
    c.kind = BP_OP_SGD_UPDATE;
    c.attrs = bytes_of(a);
    const std::vector<int64_t> s{9};
    c.inputs = {{s, f32, fill::uniform}};
    c.outputs = {{s, f32, fill::uniform}};
    if (p.momentum != 0.f) c.outputs.push_back({s, f32, fill::uniform});
    c.atol = kExactAtol * 10, c.rtol = kExactRtol * 10;
    c.label = "SGD_UPDATE momentum=" + std::to_string(p.momentum).substr(0, 3) + (p.nesterov ? " nesterov" : "");
    out.push_back(std::move(c));
  }
}

void add_reductions(std::vector<op_case>& out) {
  struct rp { bp_reduce_mode mode; int32_t axis; std::vector<int64_t> x, y; };
  for (const rp& p : {rp{BP_REDUCE_SUM, -1, {4, 6}, {1}}, rp{BP_REDUCE_MEAN, 1, {3, 5, 2}, {3, 1, 2}},
                      rp{BP_REDUCE_SUM, 0, {7, 3}, {3}}}) {
    bp_reduce_attrs a{};
    a.mode = p.mode, a.axis = p.axis;
    op_case c;
    c.kind = BP_OP_REDUCE;
    c.attrs = bytes_of(a);
    c.inputs = {{p.x, f32, fill::uniform}};
    c.outputs = {{p.y, f32, fill::poison}};
    c.atol = kReduceAtol, c.rtol = kReduceRtol;
    c.label = std::string("REDUCE ") + (p.mode == BP_REDUCE_SUM ? "SUM" : "MEAN") + " axis=" + std::to_string(p.axis) + " " +
              shape_text(p.x);
    out.push_back(std::move(c));
  }
  for (const std::vector<int64_t>& x : {std::vector<int64_t>{5, 9}, std::vector<int64_t>{2, 3, 4}}) {
    op_case c;
    c.kind = BP_OP_ARGMAX;
    c.inputs = {{x, f32, fill::uniform}};
    c.outputs = {{std::vector<int64_t>(x.begin(), x.end() - 1), i32, fill::poison}};
    c.atol = 0, c.rtol = 0;
    c.label = "ARGMAX " + shape_text(x);
    out.push_back(std::move(c));
  }
}

}  // namespace

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<op_case> all_cases() {
  std::vector<op_case> out;
  add_conv(out, BP_OP_CONV2D_FWD);
  add_conv(out, BP_OP_CONV2D_BWD_DATA);
  add_conv(out, BP_OP_CONV2D_BWD_FILTER);
  add_bias(out);
  add_activation(out, true);
  add_activation(out, false);
  add_pool(out, true);
  add_pool(out, false);
  add_gemm(out);
  add_softmax_and_loss(out);
  add_optimizers(out);
  add_binary(out);
  add_reductions(out);
  // Grouped by op kind (one ops.<KIND> check each), problem order kept within a kind.
  std::stable_sort(out.begin(), out.end(), [](const op_case& a, const op_case& b) { return a.kind < b.kind; });
  return out;
}

case_data make_case_data(const op_case& c, uint64_t seed, uint64_t case_index) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + case_index);
  std::uniform_real_distribution<float> unit(-1.f, 1.f);
  auto draw = [&](const tensor_spec& t) {
    const int64_t n = element_count(t.shape);
    std::vector<unsigned char> bytes(size_t(n) * 4);
    std::vector<float> v(static_cast<size_t>(n));
    const int64_t row = t.shape.empty() ? 1 : t.shape.back();
    switch (t.init) {
      case fill::uniform:
        for (auto& x : v) x = unit(rng);
        break;
      case fill::positive:
        for (auto& x : v) x = 0.05f + 0.95f * (unit(rng) + 1.f) / 2.f;
        break;
      case fill::relu_out:
        for (auto& x : v) x = std::max(0.f, unit(rng));
        break;
      case fill::sigmoid_out:
        for (auto& x : v) x = 0.5f + 0.45f * unit(rng);
        break;
      case fill::tanh_out:
        for (auto& x : v) x = 0.95f * unit(rng);
        break;
      case fill::prob_rows:
      case fill::logprob_rows:
        for (int64_t r = 0; r < n / row; ++r) {
          float sum = 0.f;
          for (int64_t j = 0; j < row; ++j) sum += v[size_t(r * row + j)] = 0.05f + (unit(rng) + 1.f);
          for (int64_t j = 0; j < row; ++j) {
            float& x = v[size_t(r * row + j)];
            x /= sum;
            if (t.init == fill::logprob_rows) x = std::log(x);
          }
        }
        break;
      case fill::labels: {
        std::uniform_int_distribution<int32_t> pick(0, c.classes > 0 ? c.classes - 1 : 0);
        std::vector<int32_t> labels(static_cast<size_t>(n));
        for (auto& l : labels) l = pick(rng);
        std::memcpy(bytes.data(), labels.data(), bytes.size());
        return bytes;
      }
      case fill::poison:
      case fill::pool_output:
        for (auto& x : v) x = std::numeric_limits<float>::quiet_NaN();
        if (t.dtype.code == BP_DTYPE_INT) {
          // int32 outputs cannot hold NaN: poison with a value no index can take.
          std::vector<int32_t> w(static_cast<size_t>(n), -777);
          std::memcpy(bytes.data(), w.data(), bytes.size());
          return bytes;
        }
        break;
    }
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return bytes;
  };
  case_data d;
  for (const tensor_spec& t : c.inputs) d.inputs.push_back(draw(t));
  for (const tensor_spec& t : c.outputs) d.outputs.push_back(draw(t));
  return d;
}

}  // namespace bp::conformance::detail
