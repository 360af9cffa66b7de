// SOFTMAX / SOFTMAX_BWD (plain and log) and SOFTMAX_XENT_FWD / _BWD.
#include <doctest/doctest.h>

#include <cmath>

#include "harness.hpp"

TEST_CASE("SOFTMAX and log-SOFTMAX forward match the reference; backward equals finite differences") {
  std::mt19937 rng(31);
  struct shape {
    int64_t rows, cols;
  };
  for (const shape s : {shape{1, 1}, shape{4, 10}, shape{3, 7}, shape{2000, 10}}) {
    for (int log = 0; log < 2; ++log) {
      CAPTURE(s.rows);
      CAPTURE(s.cols);
      CAPTURE(log);
      harness::tensor x({s.rows, s.cols}), y({s.rows, s.cols}), dy({s.rows, s.cols}), dx({s.rows, s.cols});
      const ref::vec xv = harness::random_vec(size_t(x.size()), rng, -4, 4), gv = harness::random_vec(size_t(x.size()), rng);
      x.set(xv), dy.set(gv);
      const bp_softmax_attrs a{sizeof(bp_softmax_attrs), log};
      REQUIRE(harness::run(BP_OP_SOFTMAX, &a, {x.desc()}, {y.desc()}) == BP_OK);
      CHECK_CLOSE_VEC(y.get(), ref::softmax(xv, s.cols, log), 1e-5, 1e-6);
      REQUIRE(harness::run(BP_OP_SOFTMAX_BWD, &a, {y.desc(), dy.desc()}, {dx.desc()}) == BP_OK);
      if (s.rows > 100) continue;  // finite differences on the small shapes only
      const ref::vec num = ref::numeric_grad(xv, [&](const ref::vec& xx) { return ref::dot(ref::softmax(xx, s.cols, log), gv); });
      CHECK_CLOSE_VEC(dx.get(), num, 1e-4, 1e-5);
    }
  }
}

TEST_CASE("SOFTMAX is stable for large logits and works on rank 3 (last axis)") {
  harness::tensor x({2, 1, 3}), y({2, 1, 3});
  const ref::vec xv{1000.0, 1001.0, 1002.0, -1000.0, -1000.0, -999.0};
  x.set(xv);
  const bp_softmax_attrs a{sizeof(bp_softmax_attrs), 0};
  REQUIRE(harness::run(BP_OP_SOFTMAX, &a, {x.desc()}, {y.desc()}) == BP_OK);
  CHECK_CLOSE_VEC(y.get(), ref::softmax(xv, 3, false), 1e-5, 1e-7);
}

TEST_CASE("SOFTMAX_XENT_FWD loss/probs match the reference; SOFTMAX_XENT_BWD equals finite differences") {
  std::mt19937 rng(32);
  const bp_dtype i32{BP_DTYPE_INT, 32, 1};
  struct shape {
    int64_t rows, cols;
  };
  for (const shape s : {shape{1, 3}, shape{5, 10}, shape{32, 10}, shape{3000, 7}}) {
    for (bp_reduce_mode mode : {BP_REDUCE_MEAN, BP_REDUCE_SUM}) {
      CAPTURE(s.rows);
      CAPTURE(s.cols);
      CAPTURE(mode);
      harness::tensor logits({s.rows, s.cols}), labels({s.rows}, i32), loss({}), probs({s.rows, s.cols}),
          dlogits({s.rows, s.cols});
      const ref::vec lv = harness::random_vec(size_t(logits.size()), rng, -3, 3);
      std::vector<int32_t> lab(size_t(s.rows));
      for (auto& l : lab) l = int32_t(rng() % uint32_t(s.cols));
      logits.set(lv), labels.set_labels(lab);
      const bool mean = mode == BP_REDUCE_MEAN;
      const bp_xent_attrs a{sizeof(bp_xent_attrs), mode};
      REQUIRE_MESSAGE(harness::run(BP_OP_SOFTMAX_XENT_FWD, &a, {logits.desc(), labels.desc()}, {loss.desc(), probs.desc()}) == BP_OK,
                      harness::last_error());
      ref::vec pv;
      const double expect_loss = ref::softmax_xent(lv, lab, s.cols, mean, &pv);
      CHECK(double(loss.f()[0]) == doctest::Approx(expect_loss).epsilon(1e-5));
      CHECK_CLOSE_VEC(probs.get(), pv, 1e-5, 1e-7);
      REQUIRE(harness::run(BP_OP_SOFTMAX_XENT_BWD, &a, {probs.desc(), labels.desc()}, {dlogits.desc()}) == BP_OK);
      if (s.rows > 100) continue;
      const ref::vec num = ref::numeric_grad(lv, [&](const ref::vec& ll) { return ref::softmax_xent(ll, lab, s.cols, mean, nullptr); });
      CHECK_CLOSE_VEC(dlogits.get(), num, 1e-4, 1e-6);
    }
  }
}

TEST_CASE("SOFTMAX_XENT rejects a label outside [0, C) naming the row, and loss may be shape (1)") {
  const bp_dtype i32{BP_DTYPE_INT, 32, 1};
  harness::tensor logits({3, 4}), labels({3}, i32), loss({1}), probs({3, 4});
  logits.set(ref::vec(12, 0.0));
  labels.set_labels({0, 4, 1});
  const bp_xent_attrs a{sizeof(bp_xent_attrs), BP_REDUCE_MEAN};
  CHECK(harness::run(BP_OP_SOFTMAX_XENT_FWD, &a, {logits.desc(), labels.desc()}, {loss.desc(), probs.desc()}) ==
        BP_ERR_INVALID_ARGUMENT);
  CHECK(harness::last_error() == "SOFTMAX_XENT_FWD input 1 (labels): label 4 at row 1 is outside [0, 4)");
  labels.set_labels({0, 3, -1});
  CHECK(harness::run(BP_OP_SOFTMAX_XENT_BWD, &a, {probs.desc(), labels.desc()}, {logits.desc()}) == BP_ERR_INVALID_ARGUMENT);
  CHECK(harness::last_error() == "SOFTMAX_XENT_BWD input 1 (labels): label -1 at row 2 is outside [0, 4)");
  labels.set_labels({0, 3, 2});
  REQUIRE(harness::run(BP_OP_SOFTMAX_XENT_FWD, &a, {logits.desc(), labels.desc()}, {loss.desc(), probs.desc()}) == BP_OK);
  CHECK(double(loss.f()[0]) == doctest::Approx(std::log(4.0)).epsilon(1e-6));
}
