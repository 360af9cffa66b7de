// Sequential::save_weights / load_weights and load_model: the safetensors
// file, the architecture recorded in its metadata, and every check that
// keeps a bad file from changing or crashing the model.
#include "backplane/nn/model_io.hpp"

#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "backplane/nn/activation.hpp"
#include "backplane/nn/conv2d.hpp"
#include "backplane/nn/dense.hpp"
#include "backplane/nn/flatten.hpp"
#include "backplane/nn/pooling.hpp"
#include "backplane/nn/safetensors.hpp"
#include "backplane/nn/sequential.hpp"

namespace bp::nn {
namespace {

using json = nlohmann::json;

constexpr const char* kFormatName = "backplane.nn.Sequential";
// Bounds on what a file may ask for before anything is allocated; the
// weights themselves are capped by what the file holds (Sequential::build).
constexpr int64_t kMaxExtent = 1 << 20;
constexpr int64_t kMaxInputElements = int64_t{1} << 28;
constexpr size_t kMaxLayers = 256;

json config_to_json(const LayerConfig& config) {
  json out = json::object();
  for (const auto& [key, value] : config.entries()) {
    if (const int64_t* n = std::get_if<int64_t>(&value)) out[key] = *n;
    else out[key] = std::get<std::string>(value);
  }
  return out;
}

json architecture(const Sequential& model) {
  json layers = json::array();
  for (const auto& layer : model.layers())
    layers.push_back({{"kind", layer->kind()}, {"name", layer->name()}, {"config", config_to_json(layer->config())}});
  return {{"format", kFormatName},          {"version", kArchitectureVersion}, {"input_shape", model.input_shape()},
          {"classes", model.classes()},      {"layers", layers}};
}

int64_t bounded(const json& value, int64_t low, int64_t high, const std::string& what) {
  if (!value.is_number_integer() || value.get<int64_t>() < low || value.get<int64_t>() > high)
    throw std::invalid_argument(what + " must be an integer in [" + std::to_string(low) + ", " + std::to_string(high) +
                                "], got " + value.dump().substr(0, 40));
  return value.get<int64_t>();
}

LayerConfig config_from_json(const json& object, const std::string& where) {
  if (!object.is_object()) throw std::invalid_argument(where + ": config is not an object");
  LayerConfig config;
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) config.set(key, value.get<std::string>());
    else config.set(key, bounded(value, 0, kMaxExtent, where + " " + key));
  }
  return config;
}

int32_t extent(const LayerConfig& config, const char* key) {
  const int64_t v = config.get_int(key);
  if (v < 1 || v > kMaxExtent)
    throw std::invalid_argument(std::string(key) + " must be in [1, " + std::to_string(kMaxExtent) + "]");
  return static_cast<int32_t>(v);
}

// The model's architecture must be the one the file was saved from (when it
// says): the first difference is named.
void check_same_architecture(const Sequential& model, const std::string& recorded) {
  json file;
  try {
    file = json::parse(recorded);
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("the architecture metadata is not valid JSON: ") + e.what());
  }
  const json here = architecture(model);
  for (const char* key : {"input_shape", "classes"})
    if (!file.is_object() || file.value(key, json()) != here[key])
      throw std::runtime_error(std::string("the file was saved from a model with ") + key + " " +
                               (file.is_object() ? file.value(key, json()).dump() : "?") + ", this model has " +
                               here[key].dump());
  const json layers = file.value("layers", json::array());
  if (!layers.is_array() || layers.size() != here["layers"].size())
    throw std::runtime_error("the file was saved from a model with " +
                             std::to_string(layers.is_array() ? layers.size() : 0) + " layers, this model has " +
                             std::to_string(here["layers"].size()));
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i] != here["layers"][i])
      throw std::runtime_error("layer " + std::to_string(i + 1) + " differs: the file has " + layers[i].dump() +
                               ", this model has " + here["layers"][i].dump());
}

// Every parameter's values from the file, checked against the model
// (names, dtype, shapes, and no tensor left over); the model is not touched.
std::vector<std::vector<float>> read_weights(const std::vector<Parameter*>& params, const safetensors::Reader& file) {
  const safetensors::Header& header = file.header();
  std::set<std::string> expected;
  for (const Parameter* p : params) expected.insert(p->name);
  for (const safetensors::TensorEntry& t : header.tensors)
    if (!expected.count(t.name))
      throw std::runtime_error("unexpected tensor '" + t.name + "': the model has no such parameter");
  std::vector<std::vector<float>> values;
  for (const Parameter* p : params) {
    const safetensors::TensorEntry* t = header.find(p->name);
    if (!t) throw std::runtime_error("missing tensor '" + p->name + "' " + shape_to_string(p->shape));
    if (t->dtype != "F32")
      throw std::runtime_error("tensor '" + p->name + "' is " + t->dtype + "; the model's parameters are F32");
    if (t->shape != p->shape)
      throw std::runtime_error("tensor '" + p->name + "' has shape " + shape_to_string(t->shape) +
                               " but the model's parameter is " + shape_to_string(p->shape));
  }
  for (const Parameter* p : params) values.push_back(file.read_f32(*header.find(p->name)));
  return values;
}

void load_checked(Sequential& model, const std::vector<Parameter*>& params, const safetensors::Reader& file) {
  const auto recorded = file.header().metadata.find(kArchitectureKey);
  if (recorded != file.header().metadata.end()) check_same_architecture(model, recorded->second);
  const std::vector<std::vector<float>> values = read_weights(params, file);
  for (size_t i = 0; i < params.size(); ++i) params[i]->value.write(values[i]);
}

// The model a file's architecture metadata describes, built with at most the weights the file holds.
std::unique_ptr<Sequential> rebuild(const bp::runtime& rt, const std::string& recorded, uint64_t data_bytes) {
  json arch;
  try {
    arch = json::parse(recorded);
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("the architecture metadata is not valid JSON: ") + e.what());
  }
  if (!arch.is_object() || arch.value("format", json()) != kFormatName)
    throw std::invalid_argument(std::string("the architecture metadata is not a ") + kFormatName);
  const int64_t version = bounded(arch.value("version", json()), 1, INT32_MAX, "architecture version");
  if (version > kArchitectureVersion)
    throw std::invalid_argument("the architecture is version " + std::to_string(version) +
                                ", newer than this library reads (" + std::to_string(kArchitectureVersion) + ")");
  const json& input = arch.value("input_shape", json());
  if (!input.is_array() || input.empty() || input.size() > 3)
    throw std::invalid_argument("input_shape must list 1 to 3 extents");
  Shape input_shape;
  int64_t input_elements = 1;
  for (const json& d : input) {
    input_shape.push_back(bounded(d, 1, kMaxExtent, "input_shape extent"));
    if (input_elements > kMaxInputElements / input_shape.back())
      throw std::invalid_argument("input_shape " + shape_to_string(input_shape) + " is too large");
    input_elements *= input_shape.back();
  }
  const int64_t classes = bounded(arch.value("classes", json()), 2, kMaxExtent, "classes");
  const json& layers = arch.value("layers", json());
  if (!layers.is_array() || layers.empty() || layers.size() > kMaxLayers)
    throw std::invalid_argument("layers must list 1 to " + std::to_string(kMaxLayers) + " layers");
  auto model = std::make_unique<Sequential>(rt);
  std::set<std::string> names;
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string where = "layer " + std::to_string(i + 1);
    const json& entry = layers[i];
    if (!entry.is_object() || !entry.value("kind", json()).is_string() || !entry.value("name", json()).is_string())
      throw std::invalid_argument(where + ": needs a kind and a name");
    const std::string name = entry["name"].get<std::string>();
    if (name.empty() || !names.insert(name).second)
      throw std::invalid_argument(where + ": the name '" + name + "' is empty or repeated");
    try {
      Layer& layer = model->add(make_layer(entry["kind"].get<std::string>(), config_from_json(entry.value("config", json::object()), where)));
      layer.set_name(name);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + " (" + name + "): " + e.what());
    }
  }
  model->build(input_shape, static_cast<int32_t>(classes), 0, static_cast<int64_t>(data_bytes / sizeof(float)));
  return model;
}

}  // namespace

std::string architecture_json(const Sequential& model) { return architecture(model).dump(); }

std::unique_ptr<Layer> make_layer(const std::string& kind, const LayerConfig& config) {
  if (kind == "Conv2D") {
    Conv2DOptions o;
    o.filters = extent(config, "filters");
    o.kernel_h = extent(config, "kernel_h");
    o.kernel_w = extent(config, "kernel_w");
    o.stride_h = extent(config, "stride_h");
    o.stride_w = extent(config, "stride_w");
    o.padding = parse_padding(config.get_string("padding"));
    o.activation = parse_activation(config.get_string("activation"));
    return std::make_unique<Conv2D>(o);
  }
  if (kind == "MaxPool2D" || kind == "AvgPool2D") {
    const bp_pool_mode mode = kind == "MaxPool2D" ? BP_POOL_MAX : BP_POOL_AVG;
    return std::make_unique<Pool2D>(mode, extent(config, "pool"), extent(config, "stride"),
                                    parse_padding(config.get_string("padding")));
  }
  if (kind == "Dense")
    return std::make_unique<Dense>(extent(config, "units"), parse_activation(config.get_string("activation")));
  if (kind == "Flatten") return std::make_unique<Flatten>();
  if (kind == "Activation") return std::make_unique<Activation>(parse_activation(config.get_string("activation")));
  throw std::invalid_argument("unknown layer kind '" + kind.substr(0, 60) +
                              "' (this library makes Conv2D, MaxPool2D, AvgPool2D, Dense, Flatten, Activation)");
}

void Sequential::save_weights(const std::string& path) const {
  require_ready("save_weights", false);
  std::vector<std::vector<float>> values;
  std::vector<safetensors::F32Tensor> tensors;
  for (const Parameter* p : parameters_) values.push_back(p->read());
  for (size_t i = 0; i < parameters_.size(); ++i)
    tensors.push_back({parameters_[i]->name, parameters_[i]->shape, values[i].data()});
  safetensors::write_file(path, tensors, {{"format", "pt"}, {kArchitectureKey, architecture_json(*this)}});
}

void Sequential::load_weights(const std::string& path) {
  require_ready("load_weights", false);
  const safetensors::Reader file(path);  // throws safetensors::format_error naming the path
  try {
    load_checked(*this, parameters_, file);
  } catch (const safetensors::format_error&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

std::unique_ptr<Sequential> load_model(const bp::runtime& rt, const std::string& path) {
  const safetensors::Reader file(path);
  const auto recorded = file.header().metadata.find(kArchitectureKey);
  if (recorded == file.header().metadata.end())
    throw std::runtime_error(path + ": no " + kArchitectureKey +
                             " metadata: the file holds weights only; build the model and call load_weights");
  try {
    std::unique_ptr<Sequential> model = rebuild(rt, recorded->second, file.header().data_bytes);
    load_checked(*model, model->parameters(), file);
    return model;
  } catch (const safetensors::format_error&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace bp::nn
