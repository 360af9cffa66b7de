// One and two training steps of the reference architecture against a plain
// C++ forward/backward in double with the same initial weights: the loss,
// every gradient and the weights after Keras-Adam updates must agree to
// float32 rounding.
#include <algorithm>
#include <cmath>
#include <vector>

#include "train_support.hpp"

namespace {

constexpr int N = 5, H = 8, W = 8, C = 2, K = 4, R = 3, S = 3, CLASSES = 10;
constexpr int OH = H - R + 1, OW = W - S + 1, PH = OH / 2, PW = OW / 2, D = PH * PW * K;

using Vec = std::vector<double>;

struct Weights {
  Vec conv_w, conv_b, dense_w, dense_b;  // OHWI, (K), (D, CLASSES), (CLASSES)
};

struct Step {
  double loss = 0;
  Weights grad;
};

// Forward + backward of Conv2D(K, 3x3, relu) -> MaxPool 2 -> Flatten -> Dense, softmax CE (mean).
Step reference_step(const Weights& w, const std::vector<float>& x, const std::vector<int32_t>& labels) {
  const auto X = [&](int n, int i, int j, int c) { return static_cast<double>(x[((n * H + i) * W + j) * C + c]); };
  Vec z(N * OH * OW * K), a(z.size());
  for (int n = 0; n < N; ++n)
    for (int i = 0; i < OH; ++i)
      for (int j = 0; j < OW; ++j)
        for (int k = 0; k < K; ++k) {
          double sum = w.conv_b[k];
          for (int r = 0; r < R; ++r)
            for (int s = 0; s < S; ++s)
              for (int c = 0; c < C; ++c) sum += X(n, i + r, j + s, c) * w.conv_w[((k * R + r) * S + s) * C + c];
          const size_t at = ((n * OH + i) * OW + j) * K + k;
          z[at] = sum;
          a[at] = std::max(0.0, sum);
        }
  Vec f(N * D);
  std::vector<size_t> from(N * D);  // argmax position in a
  for (int n = 0; n < N; ++n)
    for (int i = 0; i < PH; ++i)
      for (int j = 0; j < PW; ++j)
        for (int k = 0; k < K; ++k) {
          size_t best = ((n * OH + 2 * i) * OW + 2 * j) * K + k;
          for (int di = 0; di < 2; ++di)
            for (int dj = 0; dj < 2; ++dj) {
              const size_t at = ((n * OH + 2 * i + di) * OW + 2 * j + dj) * K + k;
              if (a[at] > a[best]) best = at;
            }
          const size_t flat = n * D + (i * PW + j) * K + k;
          f[flat] = a[best];
          from[flat] = best;
        }
  Step out;
  Vec dlogits(N * CLASSES);
  for (int n = 0; n < N; ++n) {
    Vec logits(CLASSES);
    for (int u = 0; u < CLASSES; ++u) {
      double sum = w.dense_b[u];
      for (int d = 0; d < D; ++d) sum += f[n * D + d] * w.dense_w[d * CLASSES + u];
      logits[u] = sum;
    }
    const double top = *std::max_element(logits.begin(), logits.end());
    double total = 0;
    for (double l : logits) total += std::exp(l - top);
    out.loss += (std::log(total) + top - logits[labels[n]]) / N;
    for (int u = 0; u < CLASSES; ++u)
      dlogits[n * CLASSES + u] = (std::exp(logits[u] - top) / total - (u == labels[n] ? 1.0 : 0.0)) / N;
  }
  out.grad.dense_w.assign(D * CLASSES, 0.0);
  out.grad.dense_b.assign(CLASSES, 0.0);
  Vec df(N * D, 0.0);
  for (int n = 0; n < N; ++n)
    for (int u = 0; u < CLASSES; ++u) {
      const double g = dlogits[n * CLASSES + u];
      out.grad.dense_b[u] += g;
      for (int d = 0; d < D; ++d) {
        out.grad.dense_w[d * CLASSES + u] += f[n * D + d] * g;
        df[n * D + d] += g * w.dense_w[d * CLASSES + u];
      }
    }
  Vec dz(z.size(), 0.0);
  for (size_t i = 0; i < df.size(); ++i)
    if (z[from[i]] > 0) dz[from[i]] += df[i];
  out.grad.conv_w.assign(K * R * S * C, 0.0);
  out.grad.conv_b.assign(K, 0.0);
  for (int n = 0; n < N; ++n)
    for (int i = 0; i < OH; ++i)
      for (int j = 0; j < OW; ++j)
        for (int k = 0; k < K; ++k) {
          const double g = dz[((n * OH + i) * OW + j) * K + k];
          out.grad.conv_b[k] += g;
          for (int r = 0; r < R; ++r)
            for (int s = 0; s < S; ++s)
              for (int c = 0; c < C; ++c) out.grad.conv_w[((k * R + r) * S + s) * C + c] += g * X(n, i + r, j + s, c);
        }
  return out;
}

// Keras Adam, lr 0.001, b1 0.9, b2 0.999, eps 1e-7, step t.
void adam(Vec& p, Vec& m, Vec& v, const Vec& g, int t) {
  const double lr_t = 0.001 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
  for (size_t i = 0; i < p.size(); ++i) {
    m[i] = 0.9 * m[i] + 0.1 * g[i];
    v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
    p[i] -= lr_t * m[i] / (std::sqrt(v[i]) + 1e-7);
  }
}

Vec to_double(const std::vector<float>& values) { return Vec(values.begin(), values.end()); }

void check_close(const std::vector<float>& got, const Vec& want, double rel, const char* what) {
  REQUIRE(got.size() == want.size());
  double scale = 0;
  for (double w : want) scale = std::max(scale, std::abs(w));
  size_t bad = 0;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(got[i] - want[i]);
    worst = std::max(worst, err);
    if (err > rel * scale + 1e-7) ++bad;
  }
  INFO(what << ": worst abs error " << worst << " (scale " << scale << ")");
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("a training step matches a double-precision reference (loss, gradients, Adam weights)") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  bp::nn::Sequential model(*rt);
  model.add<bp::nn::Conv2D>(K, 3, BP_ACTIVATION_RELU);
  model.add<bp::nn::MaxPool2D>(2);
  model.add<bp::nn::Flatten>();
  model.add<bp::nn::Dense>(CLASSES);
  model.build({H, W, C}, CLASSES, 7);
  model.compile(std::make_unique<bp::nn::Adam>());
  auto params = model.parameters();
  REQUIRE(params.size() == 4);
  CHECK(params[0]->shape == bp::nn::Shape{K, R, S, C});
  CHECK(params[2]->shape == bp::nn::Shape{D, CLASSES});

  Weights w{to_double(params[0]->read()), to_double(params[1]->read()), to_double(params[2]->read()),
            to_double(params[3]->read())};
  // Biases start at zero, kernels within the Glorot limit.
  for (double b : w.conv_b) CHECK(b == 0.0);
  const double conv_limit = std::sqrt(6.0 / (R * S * C + R * S * K));
  for (double v : w.conv_w) CHECK(std::abs(v) <= conv_limit);

  bp::nn::Rng rng(99);
  std::vector<float> x(N * H * W * C);
  for (float& v : x) v = static_cast<float>(rng.uniform());
  std::vector<int32_t> labels(N);
  for (int32_t& l : labels) l = static_cast<int32_t>(rng.below(CLASSES));

  Weights m{Vec(w.conv_w.size()), Vec(K), Vec(w.dense_w.size()), Vec(CLASSES)};
  Weights v = m;
  for (int t = 1; t <= 2; ++t) {
    CAPTURE(t);
    const Step want = reference_step(w, x, labels);
    const double loss = model.train_step(x.data(), labels.data(), N);
    CHECK(loss == doctest::Approx(want.loss).epsilon(1e-5));
    check_close(params[0]->grad.read<float>(), want.grad.conv_w, 1e-4, "conv kernel gradient");
    check_close(params[1]->grad.read<float>(), want.grad.conv_b, 1e-4, "conv bias gradient");
    check_close(params[2]->grad.read<float>(), want.grad.dense_w, 1e-4, "dense kernel gradient");
    check_close(params[3]->grad.read<float>(), want.grad.dense_b, 1e-4, "dense bias gradient");
    adam(w.conv_w, m.conv_w, v.conv_w, want.grad.conv_w, t);
    adam(w.conv_b, m.conv_b, v.conv_b, want.grad.conv_b, t);
    adam(w.dense_w, m.dense_w, v.dense_w, want.grad.dense_w, t);
    adam(w.dense_b, m.dense_b, v.dense_b, want.grad.dense_b, t);
    // A wrong sign or missing bias correction moves a weight by ~lr = 1e-3.
    check_close(params[0]->read(), w.conv_w, 2e-5, "conv kernel after Adam");
    check_close(params[1]->read(), w.conv_b, 0, "conv bias after Adam");
    check_close(params[2]->read(), w.dense_w, 2e-5, "dense kernel after Adam");
    check_close(params[3]->read(), w.dense_b, 0, "dense bias after Adam");
  }
  CHECK(model.optimizer()->iterations() == 2);
}
