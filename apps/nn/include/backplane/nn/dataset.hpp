// backplane/nn/dataset.hpp — in-memory image classification data (NHWC float
// images in [0, 1] with int32 labels) and the two sources `backplane train`
// uses: the seeded synthetic set and Fashion-MNIST's gzip IDX files.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace bp::nn {

struct Dataset {
  std::string name;
  int64_t count = 0;
  int64_t height = 0, width = 0, channels = 0;
  int32_t num_classes = 0;
  std::vector<float> images;   // count * height * width * channels, NHWC
  std::vector<int32_t> labels; // count, each in [0, num_classes)

  int64_t sample_size() const { return height * width * channels; }
  // Checks sizes and label range; throws std::invalid_argument naming the problem.
  void validate() const;
};

struct TrainTestSplit {
  Dataset train;
  Dataset test;
};

// The article's set: uniform [0,1) images with uniform random labels, from `seed`.
Dataset make_random_dataset(const std::string& name, int64_t count, int64_t height, int64_t width,
                            int64_t channels, int32_t num_classes, uint64_t seed);
// 1000 training and 200 test images of 28x28x3, 10 classes (the default of `backplane train`).
TrainTestSplit make_synthetic_split(uint64_t seed);

// A data-loading failure: names the file and what is wrong with it.
class dataset_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The Debian package dataset-fashion-mnist installs the files here.
inline constexpr const char* kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";

// Reads an IDX image file (magic 0x00000803, uint8, N x rows x cols) and an
// IDX label file (magic 0x00000801, uint8, N), gzip-compressed or plain.
// Pixels are scaled to [0, 1]; C = 1. Throws dataset_error on a missing file,
// bad magic, a truncated file, an image/label count mismatch or a label
// >= num_classes.
Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path, int32_t num_classes,
                      const std::string& name);
// train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-... from `directory`.
TrainTestSplit load_fashion_mnist(const std::string& directory = kFashionMnistDefaultDir);

// The data sets of the `backplane` tool by name: "synthetic" (make_synthetic_split(seed)),
// "fashion-mnist" (the default folder) or "fashion-mnist=DIR". Throws dataset_error
// on an unknown name, an empty DIR, or a set with no samples.
TrainTestSplit load_named_dataset(const std::string& spec, uint64_t seed);

}  // namespace bp::nn
