// GEMM forward against the reference (transposes, alpha/beta, odd and
// degenerate sizes), and GEMM as its own backward against finite differences.
#include <doctest/doctest.h>

#include <algorithm>

#include "harness.hpp"

namespace {

std::vector<int64_t> a_shape(bool ta, int64_t m, int64_t k) { return ta ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k}; }
std::vector<int64_t> b_shape(bool tb, int64_t k, int64_t n) { return tb ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}; }

}  // namespace

TEST_CASE("GEMM forward: transposes, alpha/beta, odd sizes, tall-skinny blocks") {
  struct shape {
    int64_t m, n, k;
  };
  const shape shapes[] = {{1, 1, 1}, {3, 5, 7}, {17, 4, 33}, {32, 10, 5408}, {5408, 10, 32}, {32, 5408, 10}, {2, 97, 3}};
  const float alphas[] = {1.0f, -0.5f};
  const float betas[] = {0.0f, 1.0f, 0.25f};
  std::mt19937 rng(1);
  for (const shape& s : shapes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (float alpha : alphas)
          for (float beta : betas) {
            CAPTURE(s.m);
            CAPTURE(s.n);
            CAPTURE(s.k);
            CAPTURE(ta);
            CAPTURE(tb);
            CAPTURE(alpha);
            CAPTURE(beta);
            harness::tensor a(a_shape(ta, s.m, s.k)), b(b_shape(tb, s.k, s.n)), c({s.m, s.n});
            const ref::vec av = harness::random_vec(size_t(a.size()), rng), bv = harness::random_vec(size_t(b.size()), rng);
            ref::vec cv = harness::random_vec(size_t(c.size()), rng);
            a.set(av), b.set(bv);
            if (beta != 0.0f)
              c.set(cv);
            else
              std::fill(cv.begin(), cv.end(), 0.0);  // c stays NaN: beta 0 must not read it
            bp_gemm_attrs attrs{sizeof(bp_gemm_attrs), ta, tb, alpha, beta};
            REQUIRE_MESSAGE(harness::run(BP_OP_GEMM, &attrs, {a.desc(), b.desc()}, {c.desc()}) == BP_OK,
                            harness::last_error());
            const ref::vec expect = ref::gemm(ta, tb, s.m, s.n, s.k, alpha, av, bv, beta, cv);
            CHECK_CLOSE_VEC(c.get(), expect, 1e-4, 1e-4);
          }
}

TEST_CASE("GEMM with K = 0 scales C by beta; M or N = 0 is a no-op") {
  harness::tensor a({3, 0}), b({0, 4}), c({3, 4});
  c.set(ref::vec(12, 2.0));
  bp_gemm_attrs attrs{sizeof(bp_gemm_attrs), 0, 0, 1.0f, 0.5f};
  REQUIRE(harness::run(BP_OP_GEMM, &attrs, {a.desc(), b.desc()}, {c.desc()}) == BP_OK);
  CHECK_CLOSE_VEC(c.get(), ref::vec(12, 1.0), 0, 0);
  attrs.beta = 0.0f;
  c.fill_nan();
  REQUIRE(harness::run(BP_OP_GEMM, &attrs, {a.desc(), b.desc()}, {c.desc()}) == BP_OK);
  CHECK_CLOSE_VEC(c.get(), ref::vec(12, 0.0), 0, 0);
  harness::tensor a0({0, 5}), b0({5, 4}), c0({0, 4});
  CHECK(harness::run(BP_OP_GEMM, &attrs, {a0.desc(), b0.desc()}, {c0.desc()}) == BP_OK);
}

TEST_CASE("GEMM backward (dA = G B^T, dB = A^T G via GEMM with transposes) equals finite differences") {
  // The dense layer: y = x W with x (M,K), W (K,N). Its backward is two GEMMs.
  std::mt19937 rng(2);
  const int64_t m = 6, k = 9, n = 5;
  harness::tensor x({m, k}), w({k, n}), g({m, n}), dx({m, k}), dw({k, n});
  const ref::vec xv = harness::random_vec(size_t(x.size()), rng), wv = harness::random_vec(size_t(w.size()), rng),
                 gv = harness::random_vec(size_t(g.size()), rng);
  x.set(xv), w.set(wv), g.set(gv);
  bp_gemm_attrs dx_attrs{sizeof(bp_gemm_attrs), 0, 1, 1.0f, 0.0f};  // G (M,N) * W^T
  bp_gemm_attrs dw_attrs{sizeof(bp_gemm_attrs), 1, 0, 1.0f, 0.0f};  // x^T * G
  REQUIRE(harness::run(BP_OP_GEMM, &dx_attrs, {g.desc(), w.desc()}, {dx.desc()}) == BP_OK);
  REQUIRE(harness::run(BP_OP_GEMM, &dw_attrs, {x.desc(), g.desc()}, {dw.desc()}) == BP_OK);
  const ref::vec zero;
  auto loss_x = [&](const ref::vec& xx) { return ref::dot(ref::gemm(false, false, m, n, k, 1, xx, wv, 0, zero), gv); };
  auto loss_w = [&](const ref::vec& ww) { return ref::dot(ref::gemm(false, false, m, n, k, 1, xv, ww, 0, zero), gv); };
  CHECK_CLOSE_VEC(dx.get(), ref::numeric_grad(xv, loss_x), 1e-4, 1e-5);
  CHECK_CLOSE_VEC(dw.get(), ref::numeric_grad(wv, loss_w), 1e-4, 1e-5);
}
