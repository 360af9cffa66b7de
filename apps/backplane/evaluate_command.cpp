// evaluate_command.cpp — `backplane evaluate --model FILE`: rebuild a model
// saved by `backplane train --save` (or Sequential::save_weights) from the
// file alone, on any backend, and report its test loss, accuracy and a
// per-class confusion summary. A model trained on one backend is checked on
// another this way.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "backplane/backplane.hpp"
#include "backplane/nn/nn.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "guarded_run.hpp"
#include "report_collect.hpp"
#include "tool_output.hpp"

namespace {

struct EvaluateOptions {
  std::string model;
  std::string backend = "auto";
  std::string dataset = "synthetic";
  uint64_t seed = 42;
  int64_t batch_size = 32;
  std::vector<std::string> plugin_paths;
};

template <typename... Args>
void say(std::FILE* out, fmt::format_string<Args...> format, Args&&... args) {
  bp::cli::write_text(out, fmt::format(format, std::forward<Args>(args)...));
  std::fflush(out);
}

// confusion[label][predicted]
using Confusion = std::vector<std::vector<int64_t>>;

Confusion confusion_of(const std::vector<float>& logits, const bp::nn::Dataset& data, int32_t classes) {
  Confusion m(static_cast<size_t>(classes), std::vector<int64_t>(static_cast<size_t>(classes), 0));
  for (int64_t i = 0; i < data.count; ++i) {
    const float* row = logits.data() + i * classes;
    const auto predicted = static_cast<size_t>(std::max_element(row, row + classes) - row);
    ++m[static_cast<size_t>(data.labels[static_cast<size_t>(i)])][predicted];
  }
  return m;
}

void print_confusion(const Confusion& m, std::FILE* out) {
  const size_t n = m.size();
  say(out, "Per class:\n  {:>5} {:>8} {:>8} {:>8} {:>9}  {}\n", "class", "samples", "correct", "recall", "precision",
      "most often mistaken for");
  for (size_t c = 0; c < n; ++c) {
    int64_t samples = 0, predicted_as_c = 0;
    for (size_t j = 0; j < n; ++j) samples += m[c][j], predicted_as_c += m[j][c];
    size_t confused = n;
    for (size_t j = 0; j < n; ++j)
      if (j != c && m[c][j] > 0 && (confused == n || m[c][j] > m[c][confused])) confused = j;
    const std::string recall = samples ? fmt::format("{:.4f}", static_cast<double>(m[c][c]) / samples) : "-";
    const std::string precision =
        predicted_as_c ? fmt::format("{:.4f}", static_cast<double>(m[c][c]) / predicted_as_c) : "-";
    const std::string mistaken = confused == n ? "-" : fmt::format("{} ({}x)", confused, m[c][confused]);
    say(out, "  {:>5} {:>8} {:>8} {:>8} {:>9}  {}\n", c, samples, m[c][c], recall, precision, mistaken);
  }
  if (n > 20) return;  // the matrix itself only while it fits a terminal
  std::string header = "Confusion matrix (rows: label, columns: prediction):\n  label";
  for (size_t j = 0; j < n; ++j) header += fmt::format(" {:>5}", j);
  say(out, "{}\n", header);
  for (size_t c = 0; c < n; ++c) {
    std::string line = fmt::format("  {:>5}", c);
    for (size_t j = 0; j < n; ++j) line += fmt::format(" {:>5}", m[c][j]);
    say(out, "{}\n", line);
  }
}

int run_evaluate(const EvaluateOptions& o) {
  std::FILE* out = bp::cli::tool_stdout();
  bp::nn::TrainTestSplit data;
  try {
    data = bp::nn::load_named_dataset(o.dataset, o.seed);  // the sets of `backplane train`
  } catch (const std::exception& e) {
    say(stderr, "backplane evaluate: {}\n", e.what());
    return bp::cli::exit_error;
  }
  std::vector<const char*> paths;
  for (const auto& p : o.plugin_paths) paths.push_back(p.c_str());
  bp_runtime_options options = bp::runtime::options();
  options.plugin_paths = paths.empty() ? nullptr : paths.data();
  options.num_plugin_paths = static_cast<uint32_t>(paths.size());
  // auto: the runtime's choice with the core's fallback warning; a name: only that backend.
  const bool is_auto = o.backend == "auto";
  options.backends = is_auto ? nullptr : o.backend.c_str();
  options.fallback = is_auto ? BP_FALLBACK_DEFAULT : BP_FALLBACK_ERROR;
  std::optional<bp::runtime> rt;
  try {
    rt.emplace(options);
  } catch (const bp::error& e) {
    const bool configuration = bp::cli::is_configuration_status(e.status());
    say(stderr, "backplane evaluate: {}{}\n", configuration ? "configuration error: " : "", e.what());
    return configuration ? bp::cli::exit_error : bp::cli::exit_nothing_usable;
  }
  std::unique_ptr<bp::nn::Sequential> model;
  try {
    model = bp::nn::load_model(*rt, o.model);
  } catch (const std::exception& e) {
    say(stderr, "backplane evaluate: {}\n", e.what());
    return bp::cli::exit_error;
  }
  say(out, "Model: {} ({} parameters)\n{}", o.model, model->parameter_count(), model->summary());
  say(out, "Evaluating on {} ({}): {} test samples of {}, batch {}\n", rt->backend(), rt->device().name,
      data.test.count, o.dataset, o.batch_size);
  try {
    const bp::nn::EvalResult result = model->evaluate(data.test, o.batch_size);
    const std::vector<float> logits = model->predict(data.test, o.batch_size, bp::nn::Sequential::Output::logits);
    say(out, "Test: loss {:.4f} - accuracy {:.4f} ({} samples)\n", result.loss, result.accuracy, result.samples);
    print_confusion(confusion_of(logits, data.test, model->classes()), out);
  } catch (const std::exception& e) {
    say(stderr, "backplane evaluate: {}: {}\n", o.model, e.what());
    return bp::cli::exit_error;
  }
  return bp::cli::exit_ready;
}

}  // namespace

void register_evaluate_command(CLI::App& app) {
  auto options = std::make_shared<EvaluateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate", "Load a model saved by `train --save` and report its test loss, accuracy and confusion per class");
  cmd->add_option("--model", options->model, "The safetensors file written by backplane train --save")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--backend", options->backend, "auto (the runtime's selection, with fallback) or a plugin name")
      ->type_name("auto|NAME");
  cmd->add_option("--dataset", options->dataset,
                  "synthetic (the default; its test set comes from --seed) or fashion-mnist[=DIR]")
      ->type_name("NAME[=DIR]");
  cmd->add_option("--seed", options->seed, "Seed of the synthetic set, as given to train (default 42)")->type_name("N");
  cmd->add_option("--batch-size", options->batch_size, "Samples per step (default 32)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->type_name("N");
  cmd->add_option("--plugin-path", options->plugin_paths, "Plugin folder or file searched first; repeatable")
      ->type_name("DIR")
      ->allow_extra_args(false);
  cmd->callback([options]() {
    // Plugins run in this command's own process: guarded, so none can corrupt the results or end the tool.
    bp::cli::set_exit_code(bp::cli::run_guarded("evaluation", [&] { return run_evaluate(*options); }));
  });
}
