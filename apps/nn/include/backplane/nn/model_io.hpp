// backplane/nn/model_io.hpp — a trained model outlives the process: weights
// in safetensors (Sequential::save_weights / load_weights) and the model
// rebuilt from a file alone (load_model, declared in sequential.hpp).
//
// File layout (docs/training.md, "Saving and loading"):
//   tensors   one F32 tensor per parameter, named as Parameter::name
//             ("conv2d/kernel", "conv2d/bias", "dense/kernel", "dense/bias"),
//             in the library's own layouts: Conv2D kernel OHWI
//             (filters, kernel_h, kernel_w, in_channels); Dense kernel
//             (inputs, units) with inputs in NHWC flatten order (h, w, c).
//   metadata  "format": "pt" (what safetensors' PyTorch loader expects),
//             kArchitectureKey: the JSON of architecture_json().
#pragma once

#include <memory>
#include <string>

#include "backplane/nn/layer.hpp"

namespace bp::nn {

class Sequential;

inline constexpr const char* kArchitectureKey = "backplane.nn.architecture";
inline constexpr int kArchitectureVersion = 1;

// {"format": "backplane.nn.Sequential", "version": 1, "input_shape": [28, 28, 3],
//  "classes": 10, "layers": [{"kind": "Conv2D", "name": "conv2d", "config": {...}}, ...]}
std::string architecture_json(const Sequential& model);

// A new, unbuilt layer of a kind this library provides ("Conv2D", "MaxPool2D",
// "AvgPool2D", "Dense", "Flatten", "Activation") from Layer::config() values.
// Throws std::invalid_argument naming an unknown kind or a bad value.
std::unique_ptr<Layer> make_layer(const std::string& kind, const LayerConfig& config);

}  // namespace bp::nn
