// ACTIVATION_FWD/BWD, BIAS_ADD/BIAS_GRAD, ADD/SUB/MUL/SCALE/FILL, COPY, REDUCE, ARGMAX.
#include <doctest/doctest.h>

#include <cmath>

#include "harness.hpp"

TEST_CASE("ACTIVATION_FWD matches the reference and ACTIVATION_BWD equals finite differences") {
  std::mt19937 rng(21);
  for (bp_activation act : {BP_ACTIVATION_NONE, BP_ACTIVATION_RELU, BP_ACTIVATION_SIGMOID, BP_ACTIVATION_TANH}) {
    for (int64_t n : {int64_t(1), int64_t(37), int64_t(70001)}) {  // 70001 spans several parallel chunks
      CAPTURE(act);
      CAPTURE(n);
      harness::tensor x({n}), y({n}), dy({n}), dx({n});
      ref::vec xv = harness::random_vec(size_t(n), rng, -3, 3);
      for (double& v : xv)
        if (std::fabs(v) < 0.05) v = 0.5;  // keep ReLU's kink out of the difference stencil
      const ref::vec gv = harness::random_vec(size_t(n), rng);
      x.set(xv), dy.set(gv);
      const bp_activation_attrs a{sizeof(bp_activation_attrs), act};
      REQUIRE(harness::run(BP_OP_ACTIVATION_FWD, &a, {x.desc()}, {y.desc()}) == BP_OK);
      const ref::vec yv = ref::activation(ref::act(act), xv);
      CHECK_CLOSE_VEC(y.get(), yv, 1e-5, 1e-6);
      REQUIRE(harness::run(BP_OP_ACTIVATION_BWD, &a, {y.desc(), dy.desc()}, {dx.desc()}) == BP_OK);
      if (n > 100) continue;  // finite differences on the small sizes only (the kernel is the same loop)
      const ref::vec num = ref::numeric_grad(xv, [&](const ref::vec& xx) { return ref::dot(ref::activation(ref::act(act), xx), gv); });
      CHECK_CLOSE_VEC(dx.get(), num, 1e-4, 1e-5);
    }
  }
}

TEST_CASE("ACTIVATION_FWD in place (y aliases x) and sigmoid saturates without overflow") {
  harness::tensor x({4});
  x.set({-200.0, -1.0, 1.0, 200.0});
  const bp_activation_attrs a{sizeof(bp_activation_attrs), BP_ACTIVATION_SIGMOID};
  REQUIRE(harness::run(BP_OP_ACTIVATION_FWD, &a, {x.desc()}, {x.desc()}) == BP_OK);
  CHECK_CLOSE_VEC(x.get(), ref::activation(ref::act::sigmoid, {-200.0, -1.0, 1.0, 200.0}), 1e-6, 1e-30);
}

TEST_CASE("BIAS_ADD matches the reference and BIAS_GRAD equals finite differences (NHWC any rank, NCHW)") {
  struct bias_case {
    std::vector<int64_t> shape;
    bp_layout layout;
  };
  const bias_case cases[] = {{{2, 3, 4, 5}, BP_LAYOUT_NHWC}, {{7, 10}, BP_LAYOUT_NHWC}, {{6}, BP_LAYOUT_NHWC},
                             {{2, 3, 4, 5}, BP_LAYOUT_NCHW}, {{3, 4, 2}, BP_LAYOUT_NCHW}, {{500, 64}, BP_LAYOUT_NHWC}};
  std::mt19937 rng(22);
  for (const bias_case& k : cases) {
    CAPTURE(k.shape.size());
    CAPTURE(k.layout);
    const bool nchw = k.layout == BP_LAYOUT_NCHW;
    const int64_t channels = k.shape[nchw ? 1 : k.shape.size() - 1];
    harness::tensor x(k.shape), b({channels}), y(k.shape), db({channels});
    const ref::vec xv = harness::random_vec(size_t(x.size()), rng), bv = harness::random_vec(size_t(channels), rng);
    x.set(xv), b.set(bv);
    const bp_layout_attrs a{sizeof(bp_layout_attrs), k.layout};
    REQUIRE(harness::run(BP_OP_BIAS_ADD, &a, {x.desc(), b.desc()}, {y.desc()}) == BP_OK);
    CHECK_CLOSE_VEC(y.get(), ref::bias_add(k.shape, nchw, xv, bv), 1e-6, 1e-6);
    // In place: y aliases x.
    REQUIRE(harness::run(BP_OP_BIAS_ADD, &a, {x.desc(), b.desc()}, {x.desc()}) == BP_OK);
    CHECK_CLOSE_VEC(x.get(), ref::bias_add(k.shape, nchw, xv, bv), 1e-6, 1e-6);
    // BIAS_GRAD(G) = d/db sum(bias_add(x, b) * G).
    const ref::vec gv = harness::random_vec(size_t(x.size()), rng);
    y.set(gv);
    REQUIRE(harness::run(BP_OP_BIAS_GRAD, &a, {y.desc()}, {db.desc()}) == BP_OK);
    const ref::vec num = ref::numeric_grad(bv, [&](const ref::vec& bb) { return ref::dot(ref::bias_add(k.shape, nchw, xv, bb), gv); });
    CHECK_CLOSE_VEC(db.get(), num, 1e-4, 1e-4);
  }
}

TEST_CASE("ADD / SUB / MUL / SCALE / FILL, including outputs aliasing inputs") {
  std::mt19937 rng(23);
  for (int64_t n : {int64_t(5), int64_t(100003)}) {
    CAPTURE(n);
    harness::tensor a({n}), b({n}), c({n});
    const ref::vec av = harness::random_vec(size_t(n), rng), bv = harness::random_vec(size_t(n), rng);
    a.set(av), b.set(bv);
    ref::vec sum(av.size()), diff(av.size()), prod(av.size()), scaled(av.size());
    for (size_t i = 0; i < av.size(); ++i)
      sum[i] = av[i] + bv[i], diff[i] = av[i] - bv[i], prod[i] = double(float(av[i] * bv[i])), scaled[i] = -2.5 * av[i];
    REQUIRE(harness::run(BP_OP_ADD, nullptr, {a.desc(), b.desc()}, {c.desc()}) == BP_OK);
    CHECK_CLOSE_VEC(c.get(), sum, 1e-6, 1e-7);
    REQUIRE(harness::run(BP_OP_SUB, nullptr, {a.desc(), b.desc()}, {c.desc()}) == BP_OK);
    CHECK_CLOSE_VEC(c.get(), diff, 1e-6, 1e-7);
    REQUIRE(harness::run(BP_OP_MUL, nullptr, {a.desc(), b.desc()}, {c.desc()}) == BP_OK);
    CHECK_CLOSE_VEC(c.get(), prod, 1e-6, 1e-7);
    const bp_scalar_attrs s{sizeof(bp_scalar_attrs), -2.5f};
    REQUIRE(harness::run(BP_OP_SCALE, &s, {a.desc()}, {c.desc()}) == BP_OK);
    CHECK_CLOSE_VEC(c.get(), scaled, 1e-6, 1e-7);
    REQUIRE(harness::run(BP_OP_ADD, nullptr, {a.desc(), b.desc()}, {a.desc()}) == BP_OK);  // a += b
    CHECK_CLOSE_VEC(a.get(), sum, 1e-6, 1e-7);
    const bp_scalar_attrs f{sizeof(bp_scalar_attrs), 0.75f};
    REQUIRE(harness::run(BP_OP_FILL, &f, {}, {c.desc()}) == BP_OK);
    CHECK_CLOSE_VEC(c.get(), ref::vec(size_t(n), 0.75), 0, 0);
  }
}

TEST_CASE("COPY: compact, transposed strides on either side, int32, scalar") {
  std::mt19937 rng(24);
  harness::tensor x({3, 4}), y({3, 4}), t({4, 3});
  const ref::vec xv = harness::random_vec(12, rng);
  x.set(xv);
  REQUIRE(harness::run(BP_OP_COPY, nullptr, {x.desc()}, {y.desc()}) == BP_OK);
  CHECK_CLOSE_VEC(y.get(), xv, 0, 0);
  // Read x through transposed strides: y2(4,3)[i][j] = x[j][i].
  int64_t tshape[2] = {4, 3}, tstrides[2] = {1, 4};
  bp_tensor xt = x.desc();
  xt.shape = tshape, xt.strides = tstrides;
  REQUIRE_MESSAGE(harness::run(BP_OP_COPY, nullptr, {xt}, {t.desc()}) == BP_OK, harness::last_error());
  ref::vec expect(12);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) expect[size_t(i * 3 + j)] = xv[size_t(j * 4 + i)];
  CHECK_CLOSE_VEC(t.get(), expect, 0, 0);
  // Write through strides: transpose t back into y.
  bp_tensor yt = y.desc();
  yt.shape = tshape, yt.strides = tstrides;
  y.fill_nan();
  REQUIRE(harness::run(BP_OP_COPY, nullptr, {t.desc()}, {yt}) == BP_OK);
  CHECK_CLOSE_VEC(y.get(), xv, 0, 0);
  // int32 payloads copy bit-exactly.
  const bp_dtype i32{BP_DTYPE_INT, 32, 1};
  harness::tensor li({5}, i32), lo({5}, i32);
  li.set_labels({1, -2, 3, 2147483647, -2147483647});
  REQUIRE(harness::run(BP_OP_COPY, nullptr, {li.desc()}, {lo.desc()}) == BP_OK);
  for (int i = 0; i < 5; ++i) CHECK(lo.i()[i] == li.i()[i]);
  harness::tensor s0({}), s1({});
  s0.set({4.5});
  REQUIRE(harness::run(BP_OP_COPY, nullptr, {s0.desc()}, {s1.desc()}) == BP_OK);
  CHECK(s1.f()[0] == 4.5f);
}

TEST_CASE("REDUCE sum/mean over all axes and over one axis (kept or dropped)") {
  std::mt19937 rng(25);
  const std::vector<int64_t> shape{3, 4, 5};
  harness::tensor x(shape);
  const ref::vec xv = harness::random_vec(60, rng);
  x.set(xv);
  for (int mean = 0; mean < 2; ++mean) {
    CAPTURE(mean);
    harness::tensor all({1});
    bp_reduce_attrs a{sizeof(bp_reduce_attrs), mean ? BP_REDUCE_MEAN : BP_REDUCE_SUM, -1};
    REQUIRE(harness::run(BP_OP_REDUCE, &a, {x.desc()}, {all.desc()}) == BP_OK);
    CHECK_CLOSE_VEC(all.get(), ref::reduce(shape, -1, mean, xv), 1e-5, 1e-6);
    for (int axis = 0; axis < 3; ++axis) {
      CAPTURE(axis);
      std::vector<int64_t> kept = shape, dropped;
      kept[size_t(axis)] = 1;
      for (int i = 0; i < 3; ++i)
        if (i != axis) dropped.push_back(shape[size_t(i)]);
      a.axis = axis;
      harness::tensor yk(kept), yd(dropped);
      REQUIRE(harness::run(BP_OP_REDUCE, &a, {x.desc()}, {yk.desc()}) == BP_OK);
      REQUIRE(harness::run(BP_OP_REDUCE, &a, {x.desc()}, {yd.desc()}) == BP_OK);
      CHECK_CLOSE_VEC(yk.get(), ref::reduce(shape, axis, mean, xv), 1e-5, 1e-6);
      CHECK_CLOSE_VEC(yd.get(), ref::reduce(shape, axis, mean, xv), 1e-5, 1e-6);
    }
  }
}

TEST_CASE("ARGMAX over the last axis picks the first maximum") {
  std::mt19937 rng(26);
  harness::tensor x({7, 10}), idx({7}, bp_dtype{BP_DTYPE_INT, 32, 1});
  ref::vec xv = harness::random_vec(70, rng);
  xv[3 * 10 + 2] = 5.0, xv[3 * 10 + 8] = 5.0;  // tie in row 3: index 2 wins
  x.set(xv);
  REQUIRE(harness::run(BP_OP_ARGMAX, nullptr, {x.desc()}, {idx.desc()}) == BP_OK);
  const std::vector<int32_t> expect = ref::argmax(xv, 10);
  for (int r = 0; r < 7; ++r) CHECK(idx.i()[r] == expect[size_t(r)]);
  CHECK(idx.i()[3] == 2);
}
