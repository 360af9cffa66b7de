// gpu_conformance_test.cpp — the cudnn plugin registered into the one op
// harness, the SDK conformance kit (sdk/conformance): every op case of the
// kit's case files against openblas-cpu (fresh random inputs, NaN-poisoned
// outputs, per-case tolerances, repeated runs from several threads that hit
// cached algorithms and blocks), and every backward op against finite
// differences of its forward op (the kit's grad mode); then the reference
// CNN's loss falling on the GPU. Without a usable GPU each case prints a
// visible SKIPPED message.
#include <dlfcn.h>

#include <map>

#include "backplane/conformance/conformance.hpp"
#include "runtime_support.hpp"
#ifdef BP_CUDNN_HAVE_NN
#include "backplane/nn/nn.hpp"
#endif

namespace {

// The kit on the build's cudnn plugin file, against the build's openblas-cpu.
// In this process (no fork: CUDA does not survive one), reading the BACKPLANE_*
// settings cudnn_options() puts in the environment (the test stack's folders).
bp::conformance::report run_kit(bp::conformance::mode mode) {
  (void)cudnn_test::cudnn_options("cudnn");
  bp::conformance::options options;
  options.run_mode = mode;
  options.isolate = false;
  options.use_environment = true;
  options.threads = 2;
  options.leak_cycles = 0;
  const std::string dir = BP_PLUGIN_DIR;
  return backplane_conformance_run(dir + "/libbackplane-cudnn.so", dir + "/libbackplane-openblas-cpu.so", options);
}

// Every check passes; the op checks (ops.* / grad.*) may not be skipped: the
// GPU runs every op of the kit itself.
void require_all_pass(const bp::conformance::report& report, const std::string& op_prefix) {
  MESSAGE(report.text());
  size_t op_checks = 0;
  for (const auto& c : report.checks) {
    const bool op_check = c.name.rfind(op_prefix, 0) == 0;
    op_checks += op_check;
    CHECK_MESSAGE(c.result != bp::conformance::verdict::fail, c.name << ": " << c.detail);
    if (op_check) CHECK_MESSAGE(c.result == bp::conformance::verdict::pass, c.name << " was skipped: " << c.detail);
  }
  CHECK_MESSAGE(op_checks > 0, "the kit ran no " << op_prefix << "* check");
}

}  // namespace

TEST_CASE("GPU conformance: every v1 op on cudnn matches openblas-cpu") {
  if (!cudnn_test::gpu_runtime_or_skip()) return;
  require_all_pass(run_kit(bp::conformance::mode::test), "ops.");
}

TEST_CASE("GPU gradient check: conv backward = directional derivative of conv forward") {
  if (!cudnn_test::gpu_runtime_or_skip()) return;
  require_all_pass(run_kit(bp::conformance::mode::grad), "grad.");
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
