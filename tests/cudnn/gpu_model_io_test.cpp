// Weights kept across processes and backends on cudnn (issue #20): a
// save -> load round trip on the GPU is bit-exact and predicts the same, and
// weights trained on openblas-cpu predict the same on cudnn.
// Registered as cudnn.gpu_model_io (a GPU, else skip) and cudnn.emu_model_io
// (the emulated CUDA stack: must run).
#include <cmath>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "runtime_support.hpp"

#ifdef BP_CUDNN_HAVE_NN
#include "backplane/nn/nn.hpp"

namespace {

std::unique_ptr<bp::nn::Sequential> trained(bp::runtime& rt, uint64_t seed) {
  auto model = std::make_unique<bp::nn::Sequential>(rt);
  bp::nn::add_reference_cnn(*model);
  model->build({28, 28, 3}, 10, seed);
  model->compile(std::make_unique<bp::nn::Adam>());
  const bp::nn::Dataset data = bp::nn::make_random_dataset("steps", 16, 28, 28, 3, 10, seed + 1);
  for (int i = 0; i < 2; ++i) model->train_step(data.images.data(), data.labels.data(), data.count);
  return model;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace
#endif

TEST_CASE("GPU model weights: a save/load round trip is bit-exact, and CPU-trained weights predict the same") {
#ifndef BP_CUDNN_HAVE_NN
  BP_SKIP("backplane_nn is not part of this build (BACKPLANE_BUILD_APPS=OFF)");
#else
  auto gpu = cudnn_test::gpu_runtime_or_skip();
  if (!gpu) return;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("bp-cudnn-model-io-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string gpu_file = (dir / "gpu.safetensors").string(), cpu_file = (dir / "cpu.safetensors").string();
  const bp::nn::Dataset test = bp::nn::make_random_dataset("test", 12, 28, 28, 3, 10, 77);
  using Output = bp::nn::Sequential::Output;

  // Trained and saved on the GPU, rebuilt from the file on the GPU.
  auto model = trained(*gpu, 5);
  const std::vector<float> before = model->predict(test, 8, Output::logits);
  model->save_weights(gpu_file);
  auto loaded = bp::nn::load_model(*gpu, gpu_file);
  auto original = model->parameters(), copy = loaded->parameters();
  REQUIRE(original.size() == copy.size());
  for (size_t i = 0; i < original.size(); ++i) CHECK_MESSAGE(same_bits(original[i]->read(), copy[i]->read()), original[i]->name);
  CHECK(same_bits(before, loaded->predict(test, 8, Output::logits)));

  // Trained on the CPU, checked on the GPU: the same predictions to float tolerance.
  auto cpu = cudnn_test::cpu_runtime();
  auto cpu_model = trained(*cpu, 6);
  const std::vector<float> on_cpu = cpu_model->predict(test, 8, Output::probabilities);
  cpu_model->save_weights(cpu_file);
  auto on_gpu_model = bp::nn::load_model(*gpu, cpu_file);
  const std::vector<float> on_gpu = on_gpu_model->predict(test, 8, Output::probabilities);
  REQUIRE(on_gpu.size() == on_cpu.size());
  double worst = 0;
  for (size_t i = 0; i < on_cpu.size(); ++i) worst = std::max(worst, std::fabs(double{on_cpu[i]} - on_gpu[i]));
  MESSAGE("largest probability difference openblas-cpu vs cudnn: " << worst);
  CHECK(worst < 1e-5);
  const bp::nn::EvalResult a = cpu_model->evaluate(test, 8), b = on_gpu_model->evaluate(test, 8);
  CHECK(a.accuracy == b.accuracy);
  std::filesystem::remove_all(dir);
#endif
}
