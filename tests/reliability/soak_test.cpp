// soak_test.cpp — load and unload every bundled plugin many times in one
// process, and train a small model for many steps, with no growth in memory
// (RSS) or open files. Leaks themselves are caught by LeakSanitizer (ASan
// build) and valgrind (soak_runner under memcheck, see CMakeLists.txt); the
// RSS limits here catch growth that is still referenced (caches, registries,
// event lists) and are checked only in uninstrumented builds, where RSS means
// what it says (ASan's quarantine keeps freed memory resident on purpose).
#include <cmath>
#include <cstdio>
#include <memory>

#include "soak_cycle.hpp"
#include "support.hpp"

#if defined(BACKPLANE_HAVE_NN)
#include "backplane/nn/nn.hpp"
#endif

using namespace rel;

namespace {

bool instrumented() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return true;
#else
  return under_valgrind();
#endif
#else
  return under_valgrind();
#endif
}

struct usage {
  long rss_kib;
  int fds;
};
usage now() { return {rss_kib(), open_fds()}; }

// Runs `cycles` soak cycles after `warmup` ones; checks fds exactly and RSS within `slack_kib`.
void soak(const std::vector<std::string>& paths, int warmup, int cycles, long slack_kib, const char* what) {
  hermetic_options h(paths);
  for (int i = 0; i < warmup; ++i) REQUIRE(soak_cycle(h.o, i) == "");
  const usage before = now();
  for (int i = 0; i < cycles; ++i) {
    std::string err = soak_cycle(h.o, warmup + i);
    REQUIRE_MESSAGE(err.empty(), "cycle ", warmup + i, ": ", err);
  }
  const usage after = now();
  std::printf("soak %s: %d+%d create/run/destroy cycles: RSS %ld -> %ld KiB (%+ld), open fds %d -> %d\n", what, warmup,
              cycles, before.rss_kib, after.rss_kib, after.rss_kib - before.rss_kib, before.fds, after.fds);
  CHECK(after.fds == before.fds);
  if (instrumented()) {
    MESSAGE("RSS limit not checked in an instrumented build (sanitizer quarantine/valgrind); leaks are checked by the tool");
  } else {
    CHECK_MESSAGE(after.rss_kib - before.rss_kib <= slack_kib, "RSS grew by ", after.rss_kib - before.rss_kib,
                  " KiB over ", cycles, " cycles (limit ", slack_kib, " KiB)");
  }
}

}  // namespace

TEST_SUITE("soak") {

TEST_CASE("openblas-cpu: 300 runtime create/destroy cycles, no growth in RSS or open files") {
  REQUIRE(!openblas_plugin_path().empty());
  const int cycles = instrumented() ? 60 : 280;
  soak({openblas_plugin_path()}, 20, cycles, 2048, "openblas-cpu");
}

TEST_CASE("cudnn (falls back to openblas-cpu without a GPU): 300 cycles, no growth") {
  if (cudnn_plugin_path().empty()) {
    MESSAGE("SKIP: the cudnn plugin is not part of this build (BACKPLANE_WITH_CUDNN=OFF or no CUDA toolkit)");
    return;
  }
  REQUIRE(!openblas_plugin_path().empty());
  const int cycles = instrumented() ? 60 : 280;
  soak({cudnn_plugin_path(), openblas_plugin_path()}, 20, cycles, 2048, "cudnn+openblas-cpu");
}

TEST_CASE("two runtimes share one plugin library: destroying the later one leaves the earlier working") {
  REQUIRE(!openblas_plugin_path().empty());
  hermetic_options h({openblas_plugin_path()});
  for (int round = 0; round < 3; ++round) {
    auto first = std::make_unique<bp::runtime>(h.o);
    auto second = std::make_unique<bp::runtime>(h.o);
    second.reset();  // its host table (what the library last saw) is gone now
    // The earlier runtime must still get the plugin's error messages, logs and options.
    int64_t huge[] = {int64_t(1) << 40};
    bp_tensor_t t = nullptr;
    CHECK(bp_tensor_create(first->get(), bp::f32, 1, huge, &t) == BP_ERR_OUT_OF_MEMORY);
    REL_CHECK_MSG("cannot allocate 4398046511104 bytes");
    bp::tensor y = first->empty({4});
    bp_scalar_attrs fill{sizeof(bp_scalar_attrs), 2.0f};
    first->run(BP_OP_FILL, &fill, {}, {&y});
    CHECK(y.read<float>() == std::vector<float>(4, 2.0f));
  }
}

TEST_CASE("training: many steps of a conv+dense model without memory growth") {
#if !defined(BACKPLANE_HAVE_NN)
  MESSAGE("SKIP: backplane_nn (apps/nn) is not part of this build");
#else
  REQUIRE(!openblas_plugin_path().empty());
  hermetic_options h({openblas_plugin_path()});
  bp::runtime rt(h.o);
  bp::nn::Sequential model(rt);
  model.add<bp::nn::Conv2D>(8, 3, BP_ACTIVATION_RELU);
  model.add<bp::nn::MaxPool2D>(2);
  model.add<bp::nn::Flatten>();
  model.add<bp::nn::Dense>(10);
  model.build({12, 12, 3}, 10, 7);
  model.compile(std::make_unique<bp::nn::Adam>());
  const int64_t batch = 16;
  std::vector<float> images(size_t(batch) * 12 * 12 * 3);
  std::vector<int32_t> labels(batch);
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  auto fill_batch = [&] {
    for (auto& v : images) v = float(next() >> 8) / float(1 << 24);
    for (auto& l : labels) l = int32_t(next() >> 28) % 10;
  };
  const int warmup = 30, steps = instrumented() ? 100 : 600;
  double first_loss = 0, last_loss = 0;
  for (int i = 0; i < warmup; ++i) {
    fill_batch();
    first_loss = model.train_step(images.data(), labels.data(), batch);
  }
  const usage before = now();
  for (int i = 0; i < steps; ++i) {
    fill_batch();
    last_loss = model.train_step(images.data(), labels.data(), batch);
    REQUIRE(std::isfinite(last_loss));
  }
  const usage after = now();
  std::printf("soak training: %d+%d steps (batch %lld, 12x12x3, conv8 3x3 relu, maxpool 2, dense 10, Adam): RSS %ld -> "
              "%ld KiB (%+ld), fds %d -> %d, loss %.4f -> %.4f\n",
              warmup, steps, static_cast<long long>(batch), before.rss_kib, after.rss_kib, after.rss_kib - before.rss_kib,
              before.fds, after.fds, first_loss, last_loss);
  CHECK(after.fds == before.fds);
  CHECK(rt.events().size() == 0);
  if (!instrumented())
    CHECK_MESSAGE(after.rss_kib - before.rss_kib <= 1024, "RSS grew by ", after.rss_kib - before.rss_kib, " KiB over ",
                  steps, " training steps");
#endif
}

}  // TEST_SUITE
