// CONV2D_FWD / BWD_DATA / BWD_FILTER against the naive reference and finite differences.
#include <doctest/doctest.h>

#include <string>

#include "harness.hpp"

namespace {

struct conv_case {
  const char* name;
  bool nchw;
  int64_t n, h, w, c, k, r, s;
  int32_t stride_h, stride_w, dil_h, dil_w;
  ref::padding pad;
  int32_t pt, pb, pl, pr;
  ref::act act;
  bool bias;
};

const conv_case kCases[] = {
    {"nhwc valid 3x3 relu bias", false, 2, 5, 6, 3, 4, 3, 3, 1, 1, 1, 1, ref::padding::valid, 0, 0, 0, 0, ref::act::relu, true},
    {"nhwc same stride2 batch1 sigmoid", false, 1, 7, 7, 2, 3, 3, 2, 2, 2, 1, 1, ref::padding::same, 0, 0, 0, 0, ref::act::sigmoid, true},
    {"nhwc explicit pads stride 2x1 tanh", false, 3, 6, 5, 4, 2, 2, 3, 2, 1, 1, 1, ref::padding::explic, 1, 0, 2, 1, ref::act::tanh, true},
    {"nhwc dilation 2 valid", false, 2, 9, 8, 3, 5, 3, 3, 1, 1, 2, 2, ref::padding::valid, 0, 0, 0, 0, ref::act::none, false},
    {"nhwc same dilation 2 odd", false, 1, 5, 7, 3, 2, 3, 3, 1, 1, 2, 2, ref::padding::same, 0, 0, 0, 0, ref::act::none, true},
    {"nhwc 1x1 pointwise", false, 2, 4, 5, 6, 7, 1, 1, 1, 1, 1, 1, ref::padding::valid, 0, 0, 0, 0, ref::act::relu, true},
    {"nhwc 1x1 stride 2", false, 2, 5, 5, 3, 4, 1, 1, 2, 2, 1, 1, ref::padding::valid, 0, 0, 0, 0, ref::act::none, false},
    // K a multiple of 16: the direct NHWC kernels (unless BACKPLANE_CPU_CONV_KERNEL=gemm).
    {"nhwc direct K=32 valid relu", false, 2, 6, 7, 3, 32, 3, 3, 1, 1, 1, 1, ref::padding::valid, 0, 0, 0, 0, ref::act::relu, true},
    {"nhwc direct K=16 same stride 2 dilation 2", false, 3, 7, 6, 2, 16, 3, 2, 2, 2, 2, 2, ref::padding::same, 0, 0, 0, 0, ref::act::none, true},
    {"nhwc direct K=48 explicit stride 1x2 tanh", false, 1, 5, 8, 5, 48, 2, 3, 1, 2, 1, 1, ref::padding::explic, 0, 2, 1, 1, ref::act::tanh, true},
    {"nhwc direct K=16 1x1", false, 2, 3, 5, 4, 16, 1, 1, 1, 1, 1, 1, ref::padding::valid, 0, 0, 0, 0, ref::act::sigmoid, false},
    {"nchw valid 3x3 relu bias", true, 2, 5, 6, 3, 4, 3, 3, 1, 1, 1, 1, ref::padding::valid, 0, 0, 0, 0, ref::act::relu, true},
    {"nchw same stride2 batch1", true, 1, 7, 6, 2, 3, 3, 3, 2, 2, 1, 1, ref::padding::same, 0, 0, 0, 0, ref::act::sigmoid, true},
    {"nchw explicit dilation 2", true, 2, 8, 7, 3, 2, 3, 2, 1, 2, 2, 2, ref::padding::explic, 2, 1, 0, 3, ref::act::tanh, false},
    {"nchw 1x1 pointwise", true, 3, 3, 4, 5, 2, 1, 1, 1, 1, 1, 1, ref::padding::valid, 0, 0, 0, 0, ref::act::none, true},
};

bp_conv2d_attrs attrs_of(const conv_case& k) {
  bp_conv2d_attrs a{};
  a.struct_size = sizeof(a);
  a.layout = k.nchw ? BP_LAYOUT_NCHW : BP_LAYOUT_NHWC;
  a.stride_h = k.stride_h, a.stride_w = k.stride_w, a.dilation_h = k.dil_h, a.dilation_w = k.dil_w;
  a.padding = k.pad == ref::padding::valid ? BP_PADDING_VALID : k.pad == ref::padding::same ? BP_PADDING_SAME : BP_PADDING_EXPLICIT;
  a.pad_top = k.pt, a.pad_bottom = k.pb, a.pad_left = k.pl, a.pad_right = k.pr;
  a.activation = static_cast<bp_activation>(k.act);
  return a;
}

ref::conv_cfg cfg_of(const conv_case& k) {
  ref::conv_cfg c;
  c.nchw = k.nchw;
  c.stride_h = k.stride_h, c.stride_w = k.stride_w, c.dil_h = k.dil_h, c.dil_w = k.dil_w;
  c.pad = k.pad;
  c.pad_top = k.pt, c.pad_bottom = k.pb, c.pad_left = k.pl, c.pad_right = k.pr;
  return c;
}

std::vector<int64_t> image_shape(bool nchw, int64_t n, int64_t h, int64_t w, int64_t c) {
  return nchw ? std::vector<int64_t>{n, c, h, w} : std::vector<int64_t>{n, h, w, c};
}

}  // namespace

TEST_CASE("CONV2D_FWD matches the reference (layouts, strides, padding modes, dilation, fused bias+activation)") {
  std::mt19937 rng(7);
  for (const conv_case& k : kCases) {
    CAPTURE(k.name);
    const ref::conv_cfg cfg = cfg_of(k);
    const ref::conv_dims d = ref::conv_shape(cfg, k.n, k.h, k.w, k.c, k.k, k.r, k.s);
    harness::tensor x(image_shape(k.nchw, k.n, k.h, k.w, k.c));
    harness::tensor w(k.nchw ? std::vector<int64_t>{k.k, k.c, k.r, k.s} : std::vector<int64_t>{k.k, k.r, k.s, k.c});
    harness::tensor b({k.k});
    harness::tensor y(image_shape(k.nchw, k.n, d.p, d.q, k.k));
    const ref::vec xv = harness::random_vec(size_t(x.size()), rng), wv = harness::random_vec(size_t(w.size()), rng),
                   bv = harness::random_vec(size_t(b.size()), rng);
    x.set(xv), w.set(wv), b.set(bv);
    const bp_conv2d_attrs a = attrs_of(k);
    std::vector<bp_tensor> ins{x.desc(), w.desc()};
    if (k.bias) ins.push_back(b.desc());
    REQUIRE_MESSAGE(harness::run(BP_OP_CONV2D_FWD, &a, ins, {y.desc()}) == BP_OK, harness::last_error());
    const ref::vec expect = ref::conv_fwd(cfg, d, xv, wv, k.bias ? &bv : nullptr, k.act);
    CHECK_CLOSE_VEC(y.get(), expect, 1e-4, 1e-5);
  }
}

TEST_CASE("CONV2D_BWD_DATA and CONV2D_BWD_FILTER equal finite differences of sum(conv(x, w) * G)") {
  std::mt19937 rng(11);
  for (const conv_case& k : kCases) {
    CAPTURE(k.name);
    const ref::conv_cfg cfg = cfg_of(k);
    const ref::conv_dims d = ref::conv_shape(cfg, k.n, k.h, k.w, k.c, k.k, k.r, k.s);
    harness::tensor x(image_shape(k.nchw, k.n, k.h, k.w, k.c));
    harness::tensor w(k.nchw ? std::vector<int64_t>{k.k, k.c, k.r, k.s} : std::vector<int64_t>{k.k, k.r, k.s, k.c});
    harness::tensor dy(image_shape(k.nchw, k.n, d.p, d.q, k.k));
    harness::tensor dx(x.shape()), dw(w.shape());
    const ref::vec xv = harness::random_vec(size_t(x.size()), rng), wv = harness::random_vec(size_t(w.size()), rng),
                   gv = harness::random_vec(size_t(dy.size()), rng);
    x.set(xv), w.set(wv), dy.set(gv);
    bp_conv2d_attrs a = attrs_of(k);
    a.activation = BP_ACTIVATION_NONE;
    REQUIRE_MESSAGE(harness::run(BP_OP_CONV2D_BWD_DATA, &a, {dy.desc(), w.desc()}, {dx.desc()}) == BP_OK,
                    harness::last_error());
    REQUIRE_MESSAGE(harness::run(BP_OP_CONV2D_BWD_FILTER, &a, {x.desc(), dy.desc()}, {dw.desc()}) == BP_OK,
                    harness::last_error());
    const ref::vec num_dx = ref::numeric_grad(xv, [&](const ref::vec& xx) {
      return ref::dot(ref::conv_fwd(cfg, d, xx, wv, nullptr, ref::act::none), gv);
    });
    const ref::vec num_dw = ref::numeric_grad(wv, [&](const ref::vec& ww) {
      return ref::dot(ref::conv_fwd(cfg, d, xv, ww, nullptr, ref::act::none), gv);
    });
    CHECK_CLOSE_VEC(dx.get(), num_dx, 1e-4, 1e-4);
    CHECK_CLOSE_VEC(dw.get(), num_dw, 1e-4, 1e-4);
  }
}

TEST_CASE("CONV2D at the reference CNN's shape: forward, and backward by the adjoint identity") {
  // x(32,28,28,3) * w(32,3,3,3) -> (32,26,26,32). Finite differences over
  // every element would be too slow here; the ops are linear in x and w, so
  // <bwd_filter(x, G), D> must equal <G, conv(x, D)> for any direction D.
  std::mt19937 rng(3);
  ref::conv_cfg cfg;
  const ref::conv_dims d = ref::conv_shape(cfg, 32, 28, 28, 3, 32, 3, 3);
  REQUIRE(d.p == 26);
  harness::tensor x({32, 28, 28, 3}), w({32, 3, 3, 3}), b({32}), y({32, 26, 26, 32}), dw({32, 3, 3, 3}),
      dx({32, 28, 28, 3});
  const ref::vec xv = harness::random_vec(size_t(x.size()), rng), wv = harness::random_vec(size_t(w.size()), rng),
                 bv = harness::random_vec(32, rng), gv = harness::random_vec(size_t(y.size()), rng),
                 dir_w = harness::random_vec(size_t(w.size()), rng), dir_x = harness::random_vec(size_t(x.size()), rng);
  x.set(xv), w.set(wv), b.set(bv);
  bp_conv2d_attrs a{sizeof(bp_conv2d_attrs), BP_LAYOUT_NHWC, 1, 1, 1, 1, BP_PADDING_VALID, 0, 0, 0, 0, BP_ACTIVATION_RELU};
  REQUIRE_MESSAGE(harness::run(BP_OP_CONV2D_FWD, &a, {x.desc(), w.desc(), b.desc()}, {y.desc()}) == BP_OK,
                  harness::last_error());
  CHECK_CLOSE_VEC(y.get(), ref::conv_fwd(cfg, d, xv, wv, &bv, ref::act::relu), 1e-4, 1e-5);

  y.set(gv);  // reuse as G
  a.activation = BP_ACTIVATION_NONE;
  REQUIRE(harness::run(BP_OP_CONV2D_BWD_FILTER, &a, {x.desc(), y.desc()}, {dw.desc()}) == BP_OK);
  REQUIRE(harness::run(BP_OP_CONV2D_BWD_DATA, &a, {y.desc(), w.desc()}, {dx.desc()}) == BP_OK);
  const double lhs_w = ref::dot(dw.get(), dir_w);
  const double rhs_w = ref::dot(gv, ref::conv_fwd(cfg, d, xv, dir_w, nullptr, ref::act::none));
  CHECK(lhs_w == doctest::Approx(rhs_w).epsilon(1e-4));
  const double lhs_x = ref::dot(dx.get(), dir_x);
  const double rhs_x = ref::dot(gv, ref::conv_fwd(cfg, d, dir_x, wv, nullptr, ref::act::none));
  CHECK(lhs_x == doctest::Approx(rhs_x).epsilon(1e-4));
}

TEST_CASE("CONV2D with an empty batch writes nothing and succeeds; BWD_FILTER gives zeros") {
  harness::tensor x({0, 5, 5, 2}), w({3, 3, 3, 2}), y({0, 3, 3, 3}), dw({3, 3, 3, 2});
  bp_conv2d_attrs a{sizeof(bp_conv2d_attrs), BP_LAYOUT_NHWC, 1, 1, 1, 1, BP_PADDING_VALID, 0, 0, 0, 0, BP_ACTIVATION_NONE};
  CHECK(harness::run(BP_OP_CONV2D_FWD, &a, {x.desc(), w.desc()}, {y.desc()}) == BP_OK);
  REQUIRE(harness::run(BP_OP_CONV2D_BWD_FILTER, &a, {x.desc(), y.desc()}, {dw.desc()}) == BP_OK);
  for (double v : dw.get()) CHECK(v == 0.0);
}
