// POOL2D_FWD / POOL2D_BWD (max and Keras average) against the reference and finite differences.
#include <doctest/doctest.h>

#include <algorithm>

#include "harness.hpp"

namespace {

struct pool_case {
  const char* name;
  bool nchw;
  int64_t n, h, w, c;
  int32_t win_h, win_w, stride_h, stride_w;
  ref::padding pad;
  int32_t pt, pb, pl, pr;
};

const pool_case kCases[] = {
    {"nhwc 2x2/2 valid (CNN)", false, 2, 6, 6, 3, 2, 2, 2, 2, ref::padding::valid, 0, 0, 0, 0},
    {"nhwc 2x2/2 valid odd input", false, 1, 7, 5, 2, 2, 2, 2, 2, ref::padding::valid, 0, 0, 0, 0},
    {"nhwc 3x3/2 same", false, 2, 7, 6, 3, 3, 3, 2, 2, ref::padding::same, 0, 0, 0, 0},
    {"nhwc 3x2/1 explicit", false, 2, 5, 5, 2, 3, 2, 1, 1, ref::padding::explic, 1, 2, 1, 0},
    {"nhwc overlapping 3x3/1 same", false, 1, 4, 5, 4, 3, 3, 1, 1, ref::padding::same, 0, 0, 0, 0},
    {"nchw 2x2/2 valid", true, 2, 6, 7, 3, 2, 2, 2, 2, ref::padding::valid, 0, 0, 0, 0},
    {"nchw 3x3/2 same", true, 1, 7, 7, 2, 3, 3, 2, 2, ref::padding::same, 0, 0, 0, 0},
    {"nchw 2x3/3x1 explicit", true, 2, 6, 5, 2, 2, 3, 3, 1, ref::padding::explic, 1, 0, 2, 1},
};

bp_pool2d_attrs attrs_of(const pool_case& k, bp_pool_mode mode) {
  bp_pool2d_attrs a{};
  a.struct_size = sizeof(a);
  a.layout = k.nchw ? BP_LAYOUT_NCHW : BP_LAYOUT_NHWC;
  a.mode = mode;
  a.window_h = k.win_h, a.window_w = k.win_w, a.stride_h = k.stride_h, a.stride_w = k.stride_w;
  a.padding = k.pad == ref::padding::valid ? BP_PADDING_VALID : k.pad == ref::padding::same ? BP_PADDING_SAME : BP_PADDING_EXPLICIT;
  a.pad_top = k.pt, a.pad_bottom = k.pb, a.pad_left = k.pl, a.pad_right = k.pr;
  return a;
}

std::vector<int64_t> image_shape(bool nchw, int64_t n, int64_t h, int64_t w, int64_t c) {
  return nchw ? std::vector<int64_t>{n, c, h, w} : std::vector<int64_t>{n, h, w, c};
}

}  // namespace

TEST_CASE("POOL2D_FWD and POOL2D_BWD (max, avg) against the reference and finite differences") {
  std::mt19937 rng(5);
  for (const pool_case& k : kCases) {
    for (bp_pool_mode mode : {BP_POOL_MAX, BP_POOL_AVG}) {
      CAPTURE(k.name);
      CAPTURE(mode);
      ref::conv_cfg cfg;
      cfg.nchw = k.nchw, cfg.stride_h = k.stride_h, cfg.stride_w = k.stride_w, cfg.pad = k.pad;
      cfg.pad_top = k.pt, cfg.pad_bottom = k.pb, cfg.pad_left = k.pl, cfg.pad_right = k.pr;
      const ref::conv_dims d = ref::conv_shape(cfg, k.n, k.h, k.w, k.c, k.c, k.win_h, k.win_w);
      harness::tensor x(image_shape(k.nchw, k.n, k.h, k.w, k.c));
      harness::tensor y(image_shape(k.nchw, k.n, d.p, d.q, k.c));
      harness::tensor dy(y.shape()), dx(x.shape());
      // Distinct values spaced well apart so the max is unique and finite
      // differences never cross a tie.
      ref::vec xv(size_t(x.size()));
      for (size_t i = 0; i < xv.size(); ++i) xv[i] = double(i) * 0.01;
      std::shuffle(xv.begin(), xv.end(), rng);
      const ref::vec gv = harness::random_vec(size_t(dy.size()), rng);
      x.set(xv), dy.set(gv);
      const bp_pool2d_attrs a = attrs_of(k, mode);
      const ref::pool_mode rm = mode == BP_POOL_MAX ? ref::pool_mode::max : ref::pool_mode::avg;
      REQUIRE_MESSAGE(harness::run(BP_OP_POOL2D_FWD, &a, {x.desc()}, {y.desc()}) == BP_OK, harness::last_error());
      CHECK_CLOSE_VEC(y.get(), ref::pool_fwd(cfg, d, rm, xv), 1e-6, 1e-6);
      REQUIRE_MESSAGE(harness::run(BP_OP_POOL2D_BWD, &a, {x.desc(), y.desc(), dy.desc()}, {dx.desc()}) == BP_OK,
                      harness::last_error());
      const ref::vec num = ref::numeric_grad(
          xv, [&](const ref::vec& xx) { return ref::dot(ref::pool_fwd(cfg, d, rm, xx), gv); }, 1e-4);
      CHECK_CLOSE_VEC(dx.get(), num, 1e-4, 1e-5);
    }
  }
}

TEST_CASE("POOL2D max at the CNN shape (32,26,26,32) -> (32,13,13,32)") {
  std::mt19937 rng(9);
  ref::conv_cfg cfg;
  cfg.stride_h = cfg.stride_w = 2;
  const ref::conv_dims d = ref::conv_shape(cfg, 32, 26, 26, 32, 32, 2, 2);
  REQUIRE(d.p == 13);
  harness::tensor x({32, 26, 26, 32}), y({32, 13, 13, 32}), dy({32, 13, 13, 32}), dx({32, 26, 26, 32});
  const ref::vec xv = harness::random_vec(size_t(x.size()), rng), gv = harness::random_vec(size_t(dy.size()), rng);
  x.set(xv), dy.set(gv);
  bp_pool2d_attrs a{sizeof(bp_pool2d_attrs), BP_LAYOUT_NHWC, BP_POOL_MAX, 2, 2, 2, 2, BP_PADDING_VALID, 0, 0, 0, 0};
  REQUIRE(harness::run(BP_OP_POOL2D_FWD, &a, {x.desc()}, {y.desc()}) == BP_OK);
  const ref::vec yv = ref::pool_fwd(cfg, d, ref::pool_mode::max, xv);
  CHECK_CLOSE_VEC(y.get(), yv, 0, 0);
  REQUIRE(harness::run(BP_OP_POOL2D_BWD, &a, {x.desc(), y.desc(), dy.desc()}, {dx.desc()}) == BP_OK);
  // Each window routes its gradient to the one position holding the max.
  const ref::vec got = dx.get();
  ref::vec expect(got.size(), 0.0);
  for (int64_t n = 0; n < 32; ++n)
    for (int64_t p = 0; p < 13; ++p)
      for (int64_t q = 0; q < 13; ++q)
        for (int64_t c = 0; c < 32; ++c) {
          const size_t out = size_t(((n * 13 + p) * 13 + q) * 32 + c);
          for (int64_t r = 0; r < 2; ++r)
            for (int64_t s = 0; s < 2; ++s) {
              const size_t in = size_t(((n * 26 + 2 * p + r) * 26 + 2 * q + s) * 32 + c);
              if (xv[in] == yv[out]) {
                expect[in] += gv[out];
                r = s = 2;  // first max only
              }
            }
        }
  CHECK_CLOSE_VEC(got, expect, 0, 0);
}

TEST_CASE("POOL2D_BWD max 2x2/2 writes every dx element, including the VALID remainder (dx starts as NaN)") {
  // Odd extents leave a last row and column outside every window: the
  // single-pass kernel must zero them itself, since it skips the zeroing pass.
  std::mt19937 rng(13);
  for (const int64_t c : {int64_t(1), int64_t(3), int64_t(32)}) {
    CAPTURE(c);
    ref::conv_cfg cfg;
    cfg.stride_h = cfg.stride_w = 2;
    const ref::conv_dims d = ref::conv_shape(cfg, 2, 7, 9, c, c, 2, 2);
    harness::tensor x({2, 7, 9, c}), y({2, d.p, d.q, c}), dy({2, d.p, d.q, c}), dx({2, 7, 9, c});
    ref::vec xv(size_t(x.size()));
    for (size_t i = 0; i < xv.size(); ++i) xv[i] = double(i) * 0.01;
    std::shuffle(xv.begin(), xv.end(), rng);
    const ref::vec gv = harness::random_vec(size_t(dy.size()), rng);
    x.set(xv), dy.set(gv);
    dx.fill_nan();
    bp_pool2d_attrs a{sizeof(bp_pool2d_attrs), BP_LAYOUT_NHWC, BP_POOL_MAX, 2, 2, 2, 2, BP_PADDING_VALID, 0, 0, 0, 0};
    REQUIRE(harness::run(BP_OP_POOL2D_FWD, &a, {x.desc()}, {y.desc()}) == BP_OK);
    REQUIRE(harness::run(BP_OP_POOL2D_BWD, &a, {x.desc(), y.desc(), dy.desc()}, {dx.desc()}) == BP_OK);
    const ref::vec num = ref::numeric_grad(
        xv, [&](const ref::vec& xx) { return ref::dot(ref::pool_fwd(cfg, d, ref::pool_mode::max, xx), gv); }, 1e-4);
    CHECK_CLOSE_VEC(dx.get(), num, 1e-4, 1e-5);
  }
}
