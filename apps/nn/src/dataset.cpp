#include "backplane/nn/dataset.hpp"

#include "backplane/nn/rng.hpp"

namespace bp::nn {

void Dataset::validate() const {
  if (count < 0 || height <= 0 || width <= 0 || channels <= 0 || num_classes <= 0)
    throw std::invalid_argument("dataset '" + name + "': bad dimensions");
  if (images.size() != static_cast<size_t>(count * sample_size()))
    throw std::invalid_argument("dataset '" + name + "': " + std::to_string(images.size()) +
                                " pixel values for " + std::to_string(count) + " images of " +
                                std::to_string(sample_size()));
  if (labels.size() != static_cast<size_t>(count))
    throw std::invalid_argument("dataset '" + name + "': " + std::to_string(labels.size()) + " labels for " +
                                std::to_string(count) + " images");
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= num_classes)
      throw std::invalid_argument("dataset '" + name + "': label " + std::to_string(labels[i]) + " of sample " +
                                  std::to_string(i) + " is outside [0, " + std::to_string(num_classes) + ")");
}

Dataset make_random_dataset(const std::string& name, int64_t count, int64_t height, int64_t width,
                            int64_t channels, int32_t num_classes, uint64_t seed) {
  Dataset data;
  data.name = name;
  data.count = count;
  data.height = height;
  data.width = width;
  data.channels = channels;
  data.num_classes = num_classes;
  Rng rng(seed);
  data.images.resize(static_cast<size_t>(count * data.sample_size()));
  for (float& pixel : data.images) pixel = static_cast<float>(rng.uniform());
  data.labels.resize(static_cast<size_t>(count));
  for (int32_t& label : data.labels) label = static_cast<int32_t>(rng.below(static_cast<uint32_t>(num_classes)));
  return data;
}

TrainTestSplit make_synthetic_split(uint64_t seed) {
  // Distinct streams for the two halves so changing one size never shifts the other.
  return {make_random_dataset("synthetic-train", 1000, 28, 28, 3, 10, seed),
          make_random_dataset("synthetic-test", 200, 28, 28, 3, 10, seed + 0x9E3779B97F4A7C15ull)};
}

TrainTestSplit load_named_dataset(const std::string& spec, uint64_t seed) {
  const std::string prefix = "fashion-mnist";
  TrainTestSplit data;
  if (spec == "synthetic") {
    data = make_synthetic_split(seed);
  } else if (spec == prefix) {
    data = load_fashion_mnist();
  } else if (spec.rfind(prefix + "=", 0) == 0) {
    const std::string dir = spec.substr(prefix.size() + 1);
    if (dir.empty()) throw dataset_error("--dataset fashion-mnist=DIR: DIR is empty");
    data = load_fashion_mnist(dir);
  } else {
    throw dataset_error("--dataset: unknown dataset '" + spec +
                        "' (expected synthetic, fashion-mnist or fashion-mnist=DIR)");
  }
  // Training or testing on nothing would "complete" with no step run and no accuracy.
  if (data.train.count == 0 || data.test.count == 0)
    throw dataset_error("--dataset " + spec + ": the " + (data.train.count == 0 ? "training" : "test") +
                        " set has no samples");
  return data;
}

}  // namespace bp::nn
