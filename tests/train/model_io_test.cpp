// A model outlives the process (issue #20): predict, forward, summary, and
// weights saved and loaded as safetensors — bit-exact round trips, the
// architecture rebuilt from the file, and every hostile file refused with a
// message naming the problem while the model keeps its weights.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "train_support.hpp"

namespace {

namespace fs = std::filesystem;
namespace st = bp::nn::safetensors;
using bp::nn::Sequential;

std::unique_ptr<Sequential> trained_reference(const bp::runtime& rt, uint64_t seed = 7, int steps = 3) {
  auto model = std::make_unique<Sequential>(rt);
  bp::nn::add_reference_cnn(*model);
  model->build({28, 28, 3}, 10, seed);
  model->compile(std::make_unique<bp::nn::Adam>());
  const bp::nn::Dataset data = bp::nn::make_random_dataset("steps", 16, 28, 28, 3, 10, seed + 1);
  for (int i = 0; i < steps; ++i) model->train_step(data.images.data(), data.labels.data(), data.count);
  return model;
}

std::vector<std::vector<float>> weights_of(Sequential& model) {
  std::vector<std::vector<float>> out;
  for (bp::nn::Parameter* p : model.parameters()) out.push_back(p->read());
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("bp-model-io-" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A file = 8-byte length + header text + data, with the length written as given.
std::vector<uint8_t> make_file(const std::string& header, const std::vector<uint8_t>& data, uint64_t length) {
  std::string text(8, '\0');
  for (int i = 0; i < 8; ++i) text[static_cast<size_t>(i)] = static_cast<char>(length >> (8 * i));
  text += header;
  text.append(data.begin(), data.end());
  return std::vector<uint8_t>(text.begin(), text.end());
}
std::vector<uint8_t> make_file(const std::string& header, const std::vector<uint8_t>& data) {
  return make_file(header, data, header.size());
}

// The header JSON and data section of a saved file.
struct Parts {
  nlohmann::json header;
  std::vector<uint8_t> data;
};
Parts split(const std::vector<uint8_t>& file) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | file[static_cast<size_t>(i)];
  Parts p;
  p.header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  p.data.assign(file.begin() + 8 + static_cast<std::ptrdiff_t>(n), file.end());
  return p;
}

}  // namespace

TEST_CASE("predict: probabilities are the softmax of the logits, forward gives the logits, argmax matches evaluate") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  auto model = trained_reference(*rt);
  const bp::nn::Dataset test = bp::nn::make_random_dataset("test", 37, 28, 28, 3, 10, 99);
  const std::vector<float> probs = model->predict(test, 16);
  const std::vector<float> logits = model->predict(test, 5, Sequential::Output::logits);
  REQUIRE(probs.size() == 37u * 10u);
  REQUIRE(logits.size() == probs.size());
  int64_t correct = 0;
  for (int64_t i = 0; i < test.count; ++i) {
    double max_logit = -1e30, sum = 0, total = 0;
    int best = 0;
    for (int c = 0; c < 10; ++c) max_logit = std::max<double>(max_logit, logits[i * 10 + c]);
    for (int c = 0; c < 10; ++c) sum += std::exp(logits[i * 10 + c] - max_logit);
    for (int c = 0; c < 10; ++c) {
      const double want = std::exp(logits[i * 10 + c] - max_logit) / sum;
      CHECK(std::fabs(probs[i * 10 + c] - want) < 1e-6);
      total += probs[i * 10 + c];
      if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
    }
    CHECK(std::fabs(total - 1.0) < 1e-5);
    correct += best == test.labels[static_cast<size_t>(i)];
  }
  const bp::nn::EvalResult eval = model->evaluate(test, 8);
  CHECK(eval.accuracy == doctest::Approx(static_cast<double>(correct) / test.count));

  // The public one-batch forward on a device tensor gives the same logits.
  bp::tensor x = rt->empty({4, 28, 28, 3});
  x.write(test.images.data(), 4 * 28 * 28 * 3);
  const std::vector<float> device_logits = model->forward(x).read<float>();
  REQUIRE(device_logits.size() == 40u);
  for (size_t i = 0; i < 40; ++i) CHECK(device_logits[i] == doctest::Approx(logits[i]).epsilon(1e-6));
  CHECK(x.shape() == std::vector<int64_t>{4, 28, 28, 3});  // left as given

  bp::tensor wrong = rt->empty({4, 28, 28, 1});
  CHECK_THROWS_WITH_AS(model->forward(wrong), doctest::Contains("(batch, 28, 28, 3)"), std::invalid_argument);
  // An unbuilt model says what to do.
  Sequential empty(*rt);
  empty.add<bp::nn::Flatten>();
  CHECK_THROWS_WITH_AS(empty.predict(test), doctest::Contains("call build() first"), std::logic_error);
}

TEST_CASE("summary: each layer's output shape and parameter count, then the totals") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  Sequential model(*rt);
  bp::nn::add_reference_cnn(model);
  model.build({28, 28, 3}, 10, 1);
  const std::string text = model.summary();
  MESSAGE(text);
  CHECK(text.find("conv2d (Conv2D)") != std::string::npos);
  CHECK(text.find("(None, 26, 26, 32)") != std::string::npos);
  CHECK(text.find("(None, 13, 13, 32)") != std::string::npos);
  CHECK(text.find("(None, 5408)") != std::string::npos);
  CHECK(text.find("(None, 10)") != std::string::npos);
  CHECK(text.find("896") != std::string::npos);    // 3*3*3*32 + 32
  CHECK(text.find("54090") != std::string::npos);  // 5408*10 + 10
  CHECK(text.find("Total params: 54986") != std::string::npos);
  CHECK(text.find("Trainable params: 54986") != std::string::npos);
  CHECK(text.find("Non-trainable params: 0") != std::string::npos);
}

TEST_CASE("save_weights -> load_weights and load_model are bit-exact and predict the same") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  TempDir dir;
  auto model = trained_reference(*rt);
  const bp::nn::Dataset test = bp::nn::make_random_dataset("test", 20, 28, 28, 3, 10, 5);
  const std::vector<float> before = model->predict(test, 8, Sequential::Output::logits);
  const std::string path = dir.file("m.safetensors");
  model->save_weights(path);

  // The file is plain safetensors: names, F32, shapes, architecture metadata.
  const Parts parts = split(read_bytes(path));
  CHECK(parts.header["conv2d/kernel"]["dtype"] == "F32");
  CHECK(parts.header["conv2d/kernel"]["shape"] == nlohmann::json({32, 3, 3, 3}));
  CHECK(parts.header["dense/kernel"]["shape"] == nlohmann::json({5408, 10}));
  CHECK(parts.header["__metadata__"]["format"] == "pt");
  const auto arch = nlohmann::json::parse(parts.header["__metadata__"][bp::nn::kArchitectureKey].get<std::string>());
  CHECK(arch["layers"].size() == 4);
  CHECK(arch["layers"][0]["config"]["activation"] == "relu");

  SUBCASE("into the same architecture built from another seed") {
    Sequential other(*rt);
    bp::nn::add_reference_cnn(other);
    other.build({28, 28, 3}, 10, 12345);
    other.load_weights(path);
    const auto want = weights_of(*model), got = weights_of(other);
    for (size_t i = 0; i < want.size(); ++i) CHECK_MESSAGE(same_bits(want[i], got[i]), other.parameters()[i]->name);
    CHECK(same_bits(before, other.predict(test, 8, Sequential::Output::logits)));
  }
  SUBCASE("rebuilt from the file alone") {
    auto loaded = bp::nn::load_model(*rt, path);
    CHECK(loaded->summary() == model->summary());
    const auto want = weights_of(*model), got = weights_of(*loaded);
    REQUIRE(want.size() == got.size());
    for (size_t i = 0; i < want.size(); ++i) CHECK(same_bits(want[i], got[i]));
    CHECK(same_bits(before, loaded->predict(test, 8, Sequential::Output::logits)));
    // It trains on after compile.
    loaded->compile(std::make_unique<bp::nn::Adam>());
    CHECK(std::isfinite(loaded->train_step(test.images.data(), test.labels.data(), 4)));
  }
}

TEST_CASE("load_model rebuilds every layer kind with its settings") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  TempDir dir;
  Sequential model(*rt);
  bp::nn::Conv2DOptions conv;
  conv.filters = 4;
  conv.kernel_h = 3;
  conv.kernel_w = 2;
  conv.stride_h = 2;
  conv.padding = BP_PADDING_SAME;
  conv.activation = BP_ACTIVATION_TANH;
  model.add<bp::nn::Conv2D>(conv);
  model.add<bp::nn::AvgPool2D>(2, 1, BP_PADDING_SAME);
  model.add<bp::nn::MaxPool2D>(2);
  model.add<bp::nn::Flatten>();
  model.add<bp::nn::Dense>(6, BP_ACTIVATION_RELU);
  model.add<bp::nn::Activation>(BP_ACTIVATION_SIGMOID);
  model.add<bp::nn::Dense>(3);
  model.build({9, 8, 2}, 3, 4);
  const std::string path = dir.file("all.safetensors");
  model.save_weights(path);
  auto loaded = bp::nn::load_model(*rt, path);
  CHECK(bp::nn::architecture_json(*loaded) == bp::nn::architecture_json(model));
  const bp::nn::Dataset data = bp::nn::make_random_dataset("d", 5, 9, 8, 2, 3, 8);
  CHECK(same_bits(model.predict(data), loaded->predict(data)));
}

TEST_CASE("hostile weight files are refused with the problem named, and the model keeps its weights") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  TempDir dir;
  auto model = trained_reference(*rt);
  const std::string good = dir.file("good.safetensors");
  model->save_weights(good);
  const std::vector<uint8_t> bytes = read_bytes(good);
  const Parts parts = split(bytes);
  const auto original = weights_of(*model);

  // Each case: a file, and the words its error must contain.
  auto rejected = [&](const std::string& name, const std::vector<uint8_t>& file, const std::string& words) {
    const std::string path = dir.file(name + ".safetensors");
    write_bytes(path, file);
    std::string message;
    try {
      model->load_weights(path);
    } catch (const std::exception& e) {
      message = e.what();
    }
    INFO(name << ": " << message);
    CHECK(message.find(path) == 0);
    CHECK(message.find(words) != std::string::npos);
    const auto now = weights_of(*model);
    for (size_t i = 0; i < now.size(); ++i) CHECK_MESSAGE(same_bits(now[i], original[i]), name << " changed the weights");
  };
  auto with_header = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json h = parts.header;
    edit(h);
    return make_file(h.dump(), parts.data);
  };

  rejected("empty", {}, "truncated: 0 bytes");
  rejected("short_length", {1, 2, 3}, "too short for the 8-byte header length");
  rejected("truncated_data", std::vector<uint8_t>(bytes.begin(), bytes.end() - 100), "truncated: tensor 'dense/kernel' needs bytes");
  rejected("truncated_header", std::vector<uint8_t>(bytes.begin(), bytes.begin() + 40), "truncated: the header length says");
  rejected("huge_length", make_file("{}", {}, ~0ull), "exceeds the limit of 104857600 bytes");
  std::vector<uint8_t> oversized = bytes;
  oversized.insert(oversized.end(), 12, 0);
  rejected("oversized", oversized, "oversized: 12 bytes of data after the last tensor");
  rejected("overlapping", with_header([](nlohmann::json& h) {
             const uint64_t b = h["conv2d/bias"]["data_offsets"][0];  // where the kernel ends
             h["conv2d/bias"]["data_offsets"] = {b - 128, b};
           }), "overlap");
  rejected("hole", with_header([](nlohmann::json& h) { h.erase("conv2d/bias"); }), "belong to no tensor");
  rejected("malformed_json", make_file("{\"a\": [1, 2", {}), "malformed JSON");
  rejected("not_object", make_file("[1,2,3]", {}), "not a JSON object");
  rejected("unknown_dtype", with_header([](nlohmann::json& h) { h["dense/bias"]["dtype"] = "F33"; }), "unknown dtype 'F33'");
  rejected("wrong_byte_count", with_header([](nlohmann::json& h) { h["dense/bias"]["shape"] = {11}; }),
           "hold 40 bytes but F32 (11,) needs 44");
  rejected("negative_extent", with_header([](nlohmann::json& h) { h["dense/bias"]["shape"] = {-10}; }),
           "shape entry is not a non-negative integer");
  rejected("huge_shape", with_header([](nlohmann::json& h) {
             h["dense/bias"]["shape"] = {uint64_t{1} << 40, uint64_t{1} << 40};
           }), "needs more than 2^64");
  rejected("offsets_backwards", with_header([](nlohmann::json& h) {
             h["dense/bias"]["data_offsets"] = {h["dense/bias"]["data_offsets"][1], h["dense/bias"]["data_offsets"][0]};
           }), "end before they begin");
  rejected("unknown_field", with_header([](nlohmann::json& h) { h["dense/bias"]["strides"] = {1}; }), "unknown field 'strides'");
  rejected("nested", with_header([](nlohmann::json& h) { h["dense/bias"]["shape"] = nlohmann::json::array({nlohmann::json::array({10})}); }), "nest deeper");
  rejected("metadata_not_string", with_header([](nlohmann::json& h) { h["__metadata__"]["format"] = 1; }), "is not a string");
  {
    std::string text = parts.header.dump();
    const std::string bias = "\"dense/bias\":" + parts.header["dense/bias"].dump();
    text.insert(1, bias + ",");  // the same name twice
    rejected("duplicate_name", make_file(text, parts.data), "tensor 'dense/bias' is listed twice");
  }
  // Well-formed files that do not fit the model.
  rejected("wrong_dtype", with_header([](nlohmann::json& h) {
             h["dense/bias"]["dtype"] = "I32";
             h.erase("__metadata__");
           }), "tensor 'dense/bias' is I32");
  rejected("wrong_shape", with_header([](nlohmann::json& h) {
             h["dense/kernel"]["shape"] = {10, 5408};
             h.erase("__metadata__");
           }), "tensor 'dense/kernel' has shape (10, 5408) but the model's parameter is (5408, 10)");
  rejected("renamed", with_header([](nlohmann::json& h) {
             h["dense_1/bias"] = h["dense/bias"];
             h.erase("dense/bias");
             h.erase("__metadata__");
           }), "unexpected tensor 'dense_1/bias'");
  {
    // Only the conv tensors, tiled from 0: a valid file that lacks the dense ones.
    const uint64_t conv_bytes = parts.header["conv2d/bias"]["data_offsets"][1];
    nlohmann::json h = {{"conv2d/kernel", parts.header["conv2d/kernel"]}, {"conv2d/bias", parts.header["conv2d/bias"]}};
    rejected("missing", make_file(h.dump(), std::vector<uint8_t>(parts.data.begin(), parts.data.begin() + conv_bytes)),
             "missing tensor 'dense/kernel' (5408, 10)");
  }
  rejected("other_architecture", with_header([](nlohmann::json& h) {
             auto arch = nlohmann::json::parse(h["__metadata__"][bp::nn::kArchitectureKey].get<std::string>());
             arch["layers"][0]["config"]["activation"] = "tanh";
             h["__metadata__"][bp::nn::kArchitectureKey] = arch.dump();
           }), "layer 1 differs");

  // The good file still loads after all that.
  model->load_weights(good);
}

TEST_CASE("load_model refuses files that cannot rebuild a model, before allocating for them") {
  auto rt = train_test::openblas_runtime();
  if (!rt) return;
  TempDir dir;
  auto model = trained_reference(*rt, 3, 1);
  const std::string good = dir.file("good.safetensors");
  model->save_weights(good);
  const Parts parts = split(read_bytes(good));
  auto refused = [&](const std::string& name, const std::function<void(nlohmann::json&)>& edit, const std::string& words) {
    nlohmann::json h = parts.header;
    auto arch = nlohmann::json::parse(h["__metadata__"][bp::nn::kArchitectureKey].get<std::string>());
    edit(arch);
    h["__metadata__"][bp::nn::kArchitectureKey] = arch.dump();
    const std::string path = dir.file(name + ".safetensors");
    write_bytes(path, make_file(h.dump(), parts.data));
    std::string message;
    try {
      bp::nn::load_model(*rt, path);
    } catch (const std::exception& e) {
      message = e.what();
    }
    INFO(name << ": " << message);
    CHECK(message.find(path) == 0);
    CHECK(message.find(words) != std::string::npos);
  };
  refused("unknown_kind", [](nlohmann::json& a) { a["layers"][1]["kind"] = "Dropout"; }, "unknown layer kind 'Dropout'");
  refused("bad_activation", [](nlohmann::json& a) { a["layers"][0]["config"]["activation"] = "gelu"; }, "unknown activation 'gelu'");
  refused("newer", [](nlohmann::json& a) { a["version"] = 2; }, "newer than this library reads");
  refused("no_format", [](nlohmann::json& a) { a.erase("format"); }, "is not a backplane.nn.Sequential");
  refused("huge_filters", [](nlohmann::json& a) { a["layers"][0]["config"]["filters"] = 1 << 20; },
          "more than the 54986 left under the cap");
  refused("huge_input", [](nlohmann::json& a) { a["input_shape"] = {1 << 20, 1 << 20, 3}; }, "is too large");
  refused("repeated_name", [](nlohmann::json& a) { a["layers"][3]["name"] = "conv2d"; }, "empty or repeated");
  refused("negative", [](nlohmann::json& a) { a["layers"][0]["config"]["stride_h"] = -1; }, "must be an integer in [0,");

  nlohmann::json h = parts.header;
  h.erase("__metadata__");
  const std::string weights_only = dir.file("weights_only.safetensors");
  write_bytes(weights_only, make_file(h.dump(), parts.data));
  CHECK_THROWS_WITH(bp::nn::load_model(*rt, weights_only), doctest::Contains("the file holds weights only"));
  CHECK_THROWS_WITH(bp::nn::load_model(*rt, dir.file("absent.safetensors")), doctest::Contains("cannot open"));
}

TEST_CASE("safetensors: the writer's bytes parse back; parse() applies the file checks to memory") {
  const std::vector<float> a = {1.5f, -2.0f, 0.0f, 3.25f, 1e-30f, -0.0f};
  const std::vector<uint8_t> bytes = st::serialize({{"a", {2, 3}, a.data()}, {"empty", {0, 4}, nullptr}}, {{"k", "v"}});
  const st::Header h = st::parse(bytes.data(), bytes.size());
  CHECK(h.header_bytes % 8 == 0);  // padded with spaces, as the format allows
  REQUIRE(h.tensors.size() == 2);
  CHECK(h.metadata.at("k") == "v");
  CHECK(h.data_bytes == 24);
  CHECK(h.find("a")->shape == std::vector<int64_t>{2, 3});
  CHECK(h.find("empty")->begin == h.find("empty")->end);
  // Little-endian on disk, whatever the host.
  const uint8_t* data = bytes.data() + 8 + h.header_bytes + h.find("a")->begin;
  CHECK(data[0] == 0x00);
  CHECK(data[3] == 0x3f);  // 1.5f = 0x3fc00000
  CHECK(st::dtype_size("BF16") == 2);
  CHECK(st::dtype_size("F31") == 0);
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 1);
  CHECK_THROWS_WITH_AS(st::parse(cut.data(), cut.size()), doctest::Contains("truncated"), st::format_error);
}
