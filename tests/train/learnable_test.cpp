// Training on a task with a learnable rule (the class is the brightest
// quadrant of a noisy image) must reach high accuracy in a few epochs, with
// both optimizers, max and average pooling, a hidden ReLU Dense layer and a
// last partial batch.
#include "train_support.hpp"

namespace {

// 12x12x1 noise in [0, 0.5) with one quadrant brightened by 0.5; label = that quadrant.
bp::nn::Dataset brightest_quadrant(int64_t count, uint64_t seed) {
  bp::nn::Dataset data;
  data.name = "brightest-quadrant";
  data.count = count;
  data.height = data.width = 12;
  data.channels = 1;
  data.num_classes = 4;
  bp::nn::Rng rng(seed);
  data.images.resize(static_cast<size_t>(count * 144));
  data.labels.resize(static_cast<size_t>(count));
  for (int64_t n = 0; n < count; ++n) {
    const int32_t quadrant = static_cast<int32_t>(rng.below(4));
    data.labels[static_cast<size_t>(n)] = quadrant;
    for (int i = 0; i < 12; ++i)
      for (int j = 0; j < 12; ++j) {
        const int q = (i >= 6 ? 2 : 0) + (j >= 6 ? 1 : 0);
        data.images[static_cast<size_t>(n * 144 + i * 12 + j)] =
            static_cast<float>(0.5 * rng.uniform() + (q == quadrant ? 0.5 : 0.0));
      }
  }
  return data;
}

}  // namespace

TEST_CASE("the reference CNN learns the brightest quadrant (Adam, max pooling)") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  const bp::nn::Dataset train = brightest_quadrant(500, 1);  // 500 = 15 batches of 32 + one of 20
  const bp::nn::Dataset test = brightest_quadrant(200, 2);
  bp::nn::Sequential model(*rt);
  model.add<bp::nn::Conv2D>(8, 3, BP_ACTIVATION_RELU);
  model.add<bp::nn::MaxPool2D>(2);
  model.add<bp::nn::Flatten>();
  model.add<bp::nn::Dense>(4);
  model.build({12, 12, 1}, 4, 3);
  model.compile(std::make_unique<bp::nn::Adam>(bp::nn::AdamOptions{0.01f}));
  bp::nn::FitOptions fit;
  fit.epochs = 5;
  fit.batch_size = 32;
  fit.seed = 4;
  const bp::nn::History history = model.fit(train, fit);
  REQUIRE(history.epochs.size() == 5);
  CHECK_FALSE(history.interrupted);
  for (const auto& e : history.epochs) {
    CHECK(e.steps == 16);
    CHECK(e.samples == 500);
  }
  CHECK(history.epochs.back().loss < history.epochs.front().loss);
  const bp::nn::EvalResult result = model.evaluate(test, 32);
  CHECK(result.samples == 200);
  MESSAGE("brightest quadrant, Adam: test accuracy " << result.accuracy << ", loss " << result.loss);
  CHECK(result.accuracy > 0.9);
}

TEST_CASE("SGD with momentum, average pooling and a hidden ReLU Dense layer also learn it") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  const bp::nn::Dataset train = brightest_quadrant(512, 5);
  const bp::nn::Dataset test = brightest_quadrant(200, 6);
  bp::nn::Sequential model(*rt);
  model.add<bp::nn::AvgPool2D>(2);  // first layer without parameters: no gradient flows into it
  model.add<bp::nn::Conv2D>(8, 3, BP_ACTIVATION_RELU);
  model.add<bp::nn::Flatten>();
  model.add<bp::nn::Dense>(16, BP_ACTIVATION_RELU);
  model.add<bp::nn::Dense>(4);
  model.build({12, 12, 1}, 4, 8);
  bp::nn::SgdOptions sgd;
  sgd.learning_rate = 0.05f;
  sgd.momentum = 0.9f;
  model.compile(std::make_unique<bp::nn::Sgd>(sgd));
  bp::nn::FitOptions fit;
  fit.epochs = 6;
  fit.batch_size = 16;
  const bp::nn::History history = model.fit(train, fit);
  const bp::nn::EvalResult result = model.evaluate(test, 64);  // 3 batches of 64 + one of 8
  MESSAGE("brightest quadrant, SGD momentum: test accuracy " << result.accuracy << ", loss " << result.loss);
  CHECK(result.accuracy > 0.9);
  CHECK(history.epochs.back().accuracy > 0.85);
}

TEST_CASE("fit stops after the current step when the stop flag is raised") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  const bp::nn::Dataset train = brightest_quadrant(256, 9);
  bp::nn::Sequential model(*rt);
  bp::nn::add_reference_cnn(model, 4);
  model.build({12, 12, 1}, 4, 1);
  model.compile(std::make_unique<bp::nn::Adam>());

  struct StopAfter : bp::nn::Callback {
    std::atomic<bool>* flag;
    int64_t after;
    void on_step_end(int epoch, int64_t step, int64_t, double, bp::nn::MetricsReader& metrics) override {
      if (epoch == 2 && step == after) {
        const bp::nn::RunningMetrics m = metrics.read();  // mid-epoch read must work
        CHECK(m.samples == after * 32);
        flag->store(true);
      }
    }
  };
  std::atomic<bool> stop{false};
  StopAfter cb;
  cb.flag = &stop;
  cb.after = 3;
  bp::nn::FitOptions fit;
  fit.epochs = 10;
  fit.stop = &stop;
  fit.callbacks = {&cb};
  const bp::nn::History history = model.fit(train, fit);
  REQUIRE(history.epochs.size() == 2);
  CHECK(history.interrupted);
  CHECK(history.epochs[1].interrupted);
  CHECK(history.epochs[1].steps == 3);
  CHECK(history.epochs[1].samples == 96);
}

TEST_CASE("bad model definitions and data are rejected with a clear message") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  SUBCASE("Dense directly on an image") {
    bp::nn::Sequential model(*rt);
    model.add<bp::nn::Dense>(4);
    CHECK_THROWS_WITH_AS(model.build({12, 12, 1}, 4, 1), doctest::Contains("add a Flatten layer"),
                         std::invalid_argument);
  }
  SUBCASE("logits of the wrong width") {
    bp::nn::Sequential model(*rt);
    bp::nn::add_reference_cnn(model, 10);
    CHECK_THROWS_WITH_AS(model.build({12, 12, 1}, 4, 1), doctest::Contains("(4,) logits"), std::invalid_argument);
  }
  SUBCASE("data of another shape") {
    bp::nn::Sequential model(*rt);
    bp::nn::add_reference_cnn(model, 4);
    model.build({12, 12, 3}, 4, 1);
    model.compile(std::make_unique<bp::nn::Adam>());
    CHECK_THROWS_WITH_AS(model.fit(brightest_quadrant(8, 1), {}), doctest::Contains("built for (12, 12, 3)"),
                         std::invalid_argument);
  }
}
