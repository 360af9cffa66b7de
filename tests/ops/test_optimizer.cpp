// ADAM_UPDATE against a hand-computed Keras Adam step and the reference; SGD
// plain, with momentum and Nesterov.
#include <doctest/doctest.h>

#include <cmath>

#include "harness.hpp"

TEST_CASE("ADAM_UPDATE: first Keras step by hand, then many steps against the reference") {
  // Hand computation, Keras defaults (lr 1e-3, b1 .9, b2 .999, eps 1e-7), t = 1, g = 0.5, p = 1, m = v = 0:
  //   m = 0.1 * 0.5 = 0.05; v = 0.001 * 0.25 = 0.00025
  //   lr_t = 1e-3 * sqrt(1 - 0.999) / (1 - 0.9) = 1e-3 * 0.0316227766 / 0.1 = 3.16227766e-4
  //   p = 1 - 3.16227766e-4 * 0.05 / (0.0158113883 + 1e-7) = 1 - 9.99993676e-4 = 0.999000006324
  harness::tensor g({1}), p({1}), m({1}), v({1});
  g.set({0.5}), p.set({1.0}), m.set({0.0}), v.set({0.0});
  bp_adam_attrs a{sizeof(bp_adam_attrs), 1e-3f, 0.9f, 0.999f, 1e-7f, 1};
  REQUIRE(harness::run(BP_OP_ADAM_UPDATE, &a, {g.desc()}, {p.desc(), m.desc(), v.desc()}) == BP_OK);
  CHECK(double(m.f()[0]) == doctest::Approx(0.05).epsilon(1e-6));
  // 1 - 0.999f is 0.000999987 in float: v carries that 1.3e-5 relative rounding.
  CHECK(double(v.f()[0]) == doctest::Approx(0.00025).epsilon(2e-5));
  CHECK(double(p.f()[0]) == doctest::Approx(0.999000006324).epsilon(1e-7));

  // 54,090 parameters (the CNN's), 5 steps with fresh gradients.
  std::mt19937 rng(41);
  const size_t n = 54090;
  harness::tensor G({int64_t(n)}), P({int64_t(n)}), M({int64_t(n)}), V({int64_t(n)});
  ref::vec pv = harness::random_vec(n, rng), mv(n, 0.0), vv(n, 0.0);
  P.set(pv), M.set(mv), V.set(vv);
  for (int64_t step = 1; step <= 5; ++step) {
    const ref::vec gv = harness::random_vec(n, rng);
    G.set(gv);
    bp_adam_attrs s{sizeof(bp_adam_attrs), 1e-2f, 0.9f, 0.999f, 1e-7f, step};
    REQUIRE(harness::run(BP_OP_ADAM_UPDATE, &s, {G.desc()}, {P.desc(), M.desc(), V.desc()}) == BP_OK);
    ref::adam({1e-2f, 0.9f, 0.999f, 1e-7f, step}, gv, pv, mv, vv);
  }
  CHECK_CLOSE_VEC(P.get(), pv, 1e-5, 1e-6);
  CHECK_CLOSE_VEC(M.get(), mv, 1e-5, 1e-7);
  CHECK_CLOSE_VEC(V.get(), vv, 1e-5, 1e-9);
}

TEST_CASE("SGD_UPDATE without momentum, with momentum, with Nesterov") {
  std::mt19937 rng(42);
  const size_t n = 1001;
  for (int variant = 0; variant < 3; ++variant) {
    CAPTURE(variant);
    const float momentum = variant == 0 ? 0.0f : 0.9f;
    const bool nesterov = variant == 2;
    harness::tensor g({int64_t(n)}), p({int64_t(n)}), vel({int64_t(n)});
    ref::vec pv = harness::random_vec(n, rng), velv(n, 0.0);
    p.set(pv), vel.set(velv);
    for (int step = 0; step < 3; ++step) {
      const ref::vec gv = harness::random_vec(n, rng);
      g.set(gv);
      bp_sgd_attrs a{sizeof(bp_sgd_attrs), 0.1f, momentum, nesterov ? 1 : 0};
      std::vector<bp_tensor> outs{p.desc()};
      if (momentum != 0.0f) outs.push_back(vel.desc());
      REQUIRE_MESSAGE(harness::run(BP_OP_SGD_UPDATE, &a, {g.desc()}, outs) == BP_OK, harness::last_error());
      ref::sgd(0.1f, momentum, nesterov, gv, pv, momentum != 0.0f ? &velv : nullptr);
    }
    CHECK_CLOSE_VEC(p.get(), pv, 1e-5, 1e-6);
    if (momentum != 0.0f) CHECK_CLOSE_VEC(vel.get(), velv, 1e-5, 1e-6);
  }
  // A hand-checked Nesterov step: v = .9*1 - .1*2 = 0.7; p = 1 + .9*.7 - .1*2 = 1.43.
  harness::tensor g({1}), p({1}), vel({1});
  g.set({2.0}), p.set({1.0}), vel.set({1.0});
  bp_sgd_attrs a{sizeof(bp_sgd_attrs), 0.1f, 0.9f, 1};
  REQUIRE(harness::run(BP_OP_SGD_UPDATE, &a, {g.desc()}, {p.desc(), vel.desc()}) == BP_OK);
  CHECK(double(vel.f()[0]) == doctest::Approx(0.7).epsilon(1e-6));
  CHECK(double(p.f()[0]) == doctest::Approx(1.43).epsilon(1e-6));
}
