// A host application on an installed Backplane (docs/examples/host-app):
// train the reference CNN, save its weights as safetensors, rebuild the model
// from the file in a new runtime, and check both predict the same.
//   host_app FILE.safetensors   (exit 0: saved, reloaded, identical predictions)
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>

#include "backplane/nn/nn.hpp"

namespace {

// Brightest quadrant of a 28x28x3 image: a task the CNN learns in a few epochs.
bp::nn::Dataset quadrant_task(const char* name, int64_t count, uint64_t seed) {
  bp::nn::Dataset data = bp::nn::make_random_dataset(name, count, 28, 28, 3, 4, seed);
  for (int64_t i = 0; i < count; ++i) {
    const int label = data.labels[static_cast<size_t>(i)];
    for (int64_t y = 0; y < 14; ++y)
      for (int64_t x = 0; x < 14; ++x)
        for (int64_t c = 0; c < 3; ++c) {
          const int64_t row = y + (label / 2) * 14, col = x + (label % 2) * 14;
          data.images[static_cast<size_t>(((i * 28 + row) * 28 + col) * 3 + c)] += 1.0f;
        }
  }
  return data;
}

double accuracy(const std::vector<float>& probs, const bp::nn::Dataset& data) {
  int64_t correct = 0;
  for (int64_t i = 0; i < data.count; ++i) {
    int best = 0;
    for (int c = 1; c < data.num_classes; ++c)
      if (probs[static_cast<size_t>(i * data.num_classes + c)] > probs[static_cast<size_t>(i * data.num_classes + best)]) best = c;
    correct += best == data.labels[static_cast<size_t>(i)];
  }
  return static_cast<double>(correct) / static_cast<double>(data.count);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE.safetensors\n", argv[0]);
    return 2;
  }
  try {
    const bp::nn::Dataset train = quadrant_task("train", 512, 1);
    const bp::nn::Dataset test = quadrant_task("test", 128, 2);
    std::vector<float> before;
    {
      bp::runtime rt;  // the default backend (BACKPLANE_BACKEND, else GPU first, else openblas-cpu)
      bp::nn::Sequential model(rt);
      bp::nn::add_reference_cnn(model, 4);
      model.build({28, 28, 3}, 4, 42);
      model.compile(std::make_unique<bp::nn::Adam>());
      std::printf("%s", model.summary().c_str());
      bp::nn::FitOptions fit;
      fit.epochs = 2;
      fit.seed = 42;
      const bp::nn::History history = model.fit(train, fit);
      std::printf("trained: loss %.4f, accuracy %.4f\n", history.epochs.back().loss, history.epochs.back().accuracy);
      before = model.predict(test);
      model.save_weights(argv[1]);
      std::printf("saved %s\n", argv[1]);
    }
    bp::runtime rt;  // a new runtime: nothing carried over but the file
    std::unique_ptr<bp::nn::Sequential> loaded = bp::nn::load_model(rt, argv[1]);
    const std::vector<float> after = loaded->predict(test);
    const bool same = before.size() == after.size() &&
                      std::memcmp(before.data(), after.data(), before.size() * sizeof(float)) == 0;
    std::printf("test accuracy: %.4f before saving, %.4f after loading\n", accuracy(before, test), accuracy(after, test));
    std::printf("predictions after loading: %s\n", same ? "identical" : "DIFFERENT");
    return same ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "host_app: %s\n", e.what());
    return 1;
  }
}
