// interop_helper — the Backplane side of train.torch_interop (torch_interop.py):
//   interop_helper export DIR
//       trains the reference CNN a few steps, saves DIR/backplane.safetensors,
//       writes DIR/inputs.f32 (8 samples, NHWC) and DIR/backplane_logits.f32,
//       DIR/backplane_probs.f32 (its predictions on them).
//   interop_helper predict WEIGHTS INPUTS OUT
//       builds the reference CNN, load_weights(WEIGHTS) (a weights-only file,
//       e.g. written by PyTorch) and writes the logits of INPUTS to OUT.
// Raw files are little-endian f32, row-major.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "backplane/nn/nn.hpp"

namespace {

bp_runtime_options openblas_options() {
  static const char* paths[] = {BACKPLANE_OPENBLAS_PLUGIN};
  bp_runtime_options o = bp::runtime::options();
  o.plugin_paths = paths;
  o.num_plugin_paths = 1;
  o.explicit_paths_only = 1;
  o.use_environment = 0;
  o.backends = "openblas-cpu";
  o.fallback = BP_FALLBACK_ERROR;
  return o;
}

void write_f32(const std::string& path, const std::vector<float>& values) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<float> read_f32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> values(bytes.size() / sizeof(float));
  std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(values.size() * sizeof(float)),
            reinterpret_cast<char*>(values.data()));
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "raw f32 files are written in host order");
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    bp::runtime rt(openblas_options());
    bp::nn::Sequential model(rt);
    bp::nn::add_reference_cnn(model);
    model.build({28, 28, 3}, 10, 11);
    if (command == "export" && argc == 3) {
      const std::string dir = argv[2];
      model.compile(std::make_unique<bp::nn::Adam>());
      const bp::nn::Dataset train = bp::nn::make_random_dataset("train", 32, 28, 28, 3, 10, 12);
      for (int step = 0; step < 3; ++step) model.train_step(train.images.data(), train.labels.data(), train.count);
      model.save_weights(dir + "/backplane.safetensors");
      const bp::nn::Dataset inputs = bp::nn::make_random_dataset("inputs", 8, 28, 28, 3, 10, 13);
      write_f32(dir + "/inputs.f32", inputs.images);
      write_f32(dir + "/backplane_logits.f32", model.predict(inputs, 8, bp::nn::Sequential::Output::logits));
      write_f32(dir + "/backplane_probs.f32", model.predict(inputs, 8));
      return 0;
    }
    if (command == "predict" && argc == 5) {
      model.load_weights(argv[2]);
      const std::vector<float> inputs = read_f32(argv[3]);
      write_f32(argv[4], model.predict(inputs.data(), static_cast<int64_t>(inputs.size() / (28 * 28 * 3)), 8,
                                       bp::nn::Sequential::Output::logits));
      return 0;
    }
    std::fprintf(stderr, "usage: interop_helper export DIR | predict WEIGHTS INPUTS OUT\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "interop_helper: %s\n", e.what());
    return 1;
  }
}
