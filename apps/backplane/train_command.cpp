// train_command.cpp — `backplane train`: train the reference CNN
// (Conv2D 32 3x3 ReLU -> MaxPool 2x2 -> Flatten -> Dense 10; Adam; sparse
// categorical cross-entropy) on one backend, the runtime's own choice, or
// every usable backend in turn with a comparison table.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backplane/backplane.hpp"
#include "backplane/names.hpp"
#include "backplane/nn/nn.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "guarded_run.hpp"
#include "report_collect.hpp"
#include "tool_output.hpp"

namespace {

using nlohmann::json;

constexpr const char* kCpuBaseline = "openblas-cpu";
constexpr int kExitInterrupted = 130;  // 128 + SIGINT, the shell convention

// ---- Ctrl-C: finish the current step, then report what was done ------------

std::atomic<bool> g_stop_requested{false};

extern "C" void on_sigint(int) {
  g_stop_requested.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C kills the process
}

class SigintScope {
 public:
  SigintScope() {
    g_stop_requested.store(false);
    previous_ = std::signal(SIGINT, on_sigint);
  }
  ~SigintScope() { std::signal(SIGINT, previous_ == SIG_ERR ? SIG_DFL : previous_); }

 private:
  void (*previous_)(int) = SIG_DFL;
};

// ---- options -------------------------------------------------------------------

struct TrainOptions {
  std::string backend = "auto";
  int epochs = 1;
  int64_t batch_size = 32;
  std::string dataset = "synthetic";
  uint64_t seed = 42;
  std::string json_file;  // "" with --json: stdout
  bool json = false;
  std::vector<std::string> plugin_paths;
  std::string save;  // --save FILE: the trained weights (safetensors)
};

// ---- results -----------------------------------------------------------------------

struct RunResult {
  std::string backend;
  std::string device;
  std::string status = "completed";  // completed | interrupted | failed
  std::string error;
  bp::nn::History history;
  std::optional<bp::nn::EvalResult> test;
  bp_placement_stats placement{};
  bool fused_conv = false;
  json events = json::array();  // backend/op fallbacks the runtime recorded

  // Epochs that count for timing: all but the first (warm-up) when there are several.
  std::vector<bp::nn::EpochResult> timed_epochs() const {
    std::vector<bp::nn::EpochResult> out;
    for (const auto& e : history.epochs)
      if (!e.interrupted) out.push_back(e);
    if (out.size() > 1) out.erase(out.begin());
    return out;
  }
  double epoch_seconds() const {
    const auto epochs = timed_epochs();
    if (epochs.empty()) return 0.0;
    double total = 0.0;
    for (const auto& e : epochs) total += e.seconds;
    return total / static_cast<double>(epochs.size());
  }
  double step_seconds() const {
    const auto epochs = timed_epochs();
    double seconds = 0.0;
    int64_t steps = 0;
    for (const auto& e : epochs) seconds += e.seconds, steps += e.steps;
    return steps ? seconds / static_cast<double>(steps) : 0.0;
  }
  double samples_per_second() const {
    const auto epochs = timed_epochs();
    double seconds = 0.0;
    int64_t samples = 0;
    for (const auto& e : epochs) seconds += e.seconds, samples += e.samples;
    return seconds > 0 ? static_cast<double>(samples) / seconds : 0.0;
  }
};

struct Unavailable {
  std::string name, state, cause, stage, message, remedy;
};

// ---- output helpers -------------------------------------------------------------------

// Human text goes with the results, unless JSON is going there.
std::FILE* text_stream(const TrainOptions& o) {
  return o.json && o.json_file.empty() ? stderr : bp::cli::tool_stdout();
}

template <typename... Args>
void say(std::FILE* out, fmt::format_string<Args...> format, Args&&... args) {
  bp::cli::write_text(out, fmt::format(format, std::forward<Args>(args)...));
  std::fflush(out);
}

std::string format_seconds(double s) {
  if (s <= 0) return "-";
  if (s >= 1.0) return fmt::format("{:.2f} s", s);
  if (s >= 1e-3) return fmt::format("{:.2f} ms", s * 1e3);
  return fmt::format("{:.0f} us", s * 1e6);
}

bp_runtime_options runtime_options(const TrainOptions& o, std::vector<const char*>& path_storage,
                                   const char* backends, bp_fallback_policy fallback) {
  bp_runtime_options options = bp::runtime::options();
  path_storage.clear();
  for (const auto& p : o.plugin_paths) path_storage.push_back(p.c_str());
  options.plugin_paths = path_storage.empty() ? nullptr : path_storage.data();
  options.num_plugin_paths = static_cast<uint32_t>(path_storage.size());
  options.backends = backends;
  options.fallback = fallback;
  return options;
}

std::string device_kind_name(bp_device_kind kind) {
  return kind == BP_DEVICE_KIND_GPU ? "GPU" : kind == BP_DEVICE_KIND_CPU ? "CPU" : "other";
}

Unavailable unavailable_from(const bp_plugin_info& info) {
  return {info.name ? info.name : "?",          bp_state_name(info.state), bp_cause_name(info.cause),
          std::to_string(info.stage),            info.message ? info.message : "",
          info.remedy && *info.remedy ? info.remedy : bp_cause_remedy(info.cause)};
}

// Prints every plugin the discovery saw and whether a GPU backend can serve
// (the equivalent of tf.config.list_physical_devices).
json describe_devices(const bp::runtime& probe, std::FILE* out, bool& gpu_ok) {
  json devices = json::array();
  gpu_ok = false;
  say(out, "Devices found:\n");
  for (const bp_plugin_info& info : probe.plugins()) {
    const bool ready = info.state == BP_STATE_READY;
    if (ready && info.device_kind == BP_DEVICE_KIND_GPU && info.device_count > 0) gpu_ok = true;
    std::string detail;
    if (info.selected) {
      const bp_device_props props = probe.device();
      detail = props.name;
    }
    if (ready) {
      say(out, "  {:<5} {:<16} ready        {} device(s){}\n", device_kind_name(info.device_kind), info.name,
          info.device_count, detail.empty() ? "" : "  " + detail);
    } else {
      const Unavailable u = unavailable_from(info);
      say(out, "  {:<5} {:<16} {:<12} {}: {}\n", device_kind_name(info.device_kind), u.name, u.state, u.cause,
          u.message);
      if (!u.remedy.empty()) say(out, "  {:<5} {:<16} remedy: {}\n", "", "", u.remedy);
    }
    devices.push_back({{"name", info.name ? info.name : ""},
                       {"kind", device_kind_name(info.device_kind)},
                       {"state", bp_state_name(info.state)},
                       {"cause", bp_cause_name(info.cause)},
                       {"device_count", info.device_count},
                       {"message", info.message ? info.message : ""},
                       {"remedy", info.remedy ? info.remedy : ""},
                       {"device", detail}});
  }
  say(out, "GPU acceleration: {}\n\n", gpu_ok ? "available" : "not available (training runs on the CPU)");
  return devices;
}

// The runtime could not be created at all: nothing can serve (exit 3), or the
// settings are wrong (exit 1, like every other command).
int creation_failed(bp_status status, const std::string& message) {
  const bool configuration = bp::cli::is_configuration_status(status);
  say(stderr, "backplane train: {}{}\n", configuration ? "configuration error: " : "", message);
  return configuration ? bp::cli::exit_error : bp::cli::exit_nothing_usable;
}

// ---- one training run -----------------------------------------------------------------

RunResult train_on(const bp::runtime& rt, const bp::nn::TrainTestSplit& data, const TrainOptions& o,
                   std::FILE* out) {
  RunResult result;
  result.backend = rt.backend();
  result.device = rt.device().name;
  bp::nn::Sequential model(rt);
  bp::nn::add_reference_cnn(model, data.train.num_classes);
  model.build({data.train.height, data.train.width, data.train.channels}, data.train.num_classes, o.seed);
  model.compile(std::make_unique<bp::nn::Adam>());

  say(out, "Training on {} ({}): {} samples, batch {}, {} epoch(s)\n", result.backend, result.device,
      data.train.count, o.batch_size, o.epochs);
  bp::nn::ProgressPrinter progress(out, bp::cli::stdout_is_terminal() && out == bp::cli::tool_stdout());
  bp::nn::FitOptions fit;
  fit.epochs = o.epochs;
  fit.batch_size = o.batch_size;
  fit.seed = o.seed;
  fit.stop = &g_stop_requested;
  fit.callbacks = {&progress};
  result.history = model.fit(data.train, fit);
  result.fused_conv = static_cast<const bp::nn::Conv2D&>(*model.layers().front()).fused();
  if (result.history.interrupted || g_stop_requested.load()) {
    result.status = "interrupted";
    if (!o.save.empty()) say(out, "Not saved to {}: training was interrupted\n", o.save);
  } else {
    result.test = model.evaluate(data.test, o.batch_size, &g_stop_requested);
    say(out, "Test: loss {:.4f} - accuracy {:.4f} ({} samples, {})\n", result.test->loss, result.test->accuracy,
        result.test->samples, format_seconds(result.test->seconds));
    if (!o.save.empty()) {
      model.save_weights(o.save);
      say(out, "Saved the trained weights to {} (check them with: backplane evaluate --model {})\n", o.save, o.save);
    }
  }
  result.placement = rt.placement();
  for (const bp_event& ev : rt.events())
    result.events.push_back({{"kind", bp::names::event_kind(ev.kind)},
                             {"plugin", ev.plugin ? ev.plugin : ""},
                             {"selected", ev.selected ? ev.selected : ""},
                             {"cause", bp_cause_name(ev.cause)},
                             {"op", ev.op != BP_OP_INVALID ? bp_op_kind_name(ev.op) : ""},
                             {"message", ev.message ? ev.message : ""},
                             {"remedy", ev.remedy ? ev.remedy : ""}});
  if (result.placement.ops_on_fallback > 0)
    say(out, "Note: {} op(s) ran on the CPU fallback instead of {}\n", result.placement.ops_on_fallback,
        result.backend);
  say(out, "\n");
  return result;
}

// ---- summary ---------------------------------------------------------------------------

const RunResult* baseline_of(const std::vector<RunResult>& runs) {
  for (const auto& r : runs)
    if (r.backend == kCpuBaseline && r.status != "failed" && r.epoch_seconds() > 0) return &r;
  return nullptr;
}

void print_summary(const std::vector<RunResult>& runs, const std::vector<Unavailable>& unavailable,
                   const TrainOptions& o, std::FILE* out) {
  const RunResult* base = baseline_of(runs);
  say(out, "Summary ({}; time/epoch is the mean of epochs 2..N when N > 1):\n",
      o.epochs > 1 ? fmt::format("{} epochs", o.epochs) : "1 epoch");
  say(out, "  {:<14} {:>11} {:>10} {:>10} {:>8} {:>9} {:>9} {:>9}  {}\n", "backend", "time/epoch", "time/step",
      "samples/s", "loss", "train acc", "test acc", "speedup", "status");
  for (const auto& r : runs) {
    const auto& epochs = r.history.epochs;
    const std::string loss = epochs.empty() ? "-" : fmt::format("{:.4f}", epochs.back().loss);
    const std::string train_acc = epochs.empty() ? "-" : fmt::format("{:.4f}", epochs.back().accuracy);
    const std::string test_acc = r.test ? fmt::format("{:.4f}", r.test->accuracy) : "-";
    std::string speedup = "-";
    if (base && r.epoch_seconds() > 0) speedup = fmt::format("{:.2f}x", base->epoch_seconds() / r.epoch_seconds());
    const std::string rate = r.samples_per_second() > 0 ? fmt::format("{:.0f}", r.samples_per_second()) : "-";
    say(out, "  {:<14} {:>11} {:>10} {:>10} {:>8} {:>9} {:>9} {:>9}  {}{}\n", r.backend,
        format_seconds(r.epoch_seconds()), format_seconds(r.step_seconds()), rate, loss,
        train_acc, test_acc, speedup, r.status,
        r.error.empty() ? "" : ": " + r.error.substr(0, r.error.find('\n')));  // full text went to stderr
  }
  for (const auto& u : unavailable) {
    say(out, "  {:<14} not run: {} ({}): {}\n", u.name, u.state, u.cause, u.message);
    if (!u.remedy.empty()) say(out, "  {:<14} remedy: {}\n", "", u.remedy);
  }
  if (!base && runs.size() > 1) say(out, "  (no {} run to compare against: speedup not shown)\n", kCpuBaseline);
}

json epochs_json(const bp::nn::History& history) {
  json epochs = json::array();
  for (const auto& e : history.epochs)
    epochs.push_back({{"epoch", e.epoch},
                      {"steps", e.steps},
                      {"samples", e.samples},
                      {"seconds", e.seconds},
                      {"loss", e.loss},
                      {"accuracy", e.accuracy},
                      {"interrupted", e.interrupted}});
  return epochs;
}

json result_json(const std::vector<RunResult>& runs, const std::vector<Unavailable>& unavailable,
                 const json& devices, bool gpu_ok, const TrainOptions& o, const bp::nn::TrainTestSplit& data,
                 bool interrupted) {
  const RunResult* base = baseline_of(runs);
  json j;
  j["schema_version"] = 1;
  j["command"] = "train";
  j["options"] = {{"backend", o.backend}, {"epochs", o.epochs}, {"batch_size", o.batch_size},
                  {"dataset", o.dataset}, {"seed", o.seed}};
  j["dataset"] = {{"train", {{"name", data.train.name}, {"samples", data.train.count}}},
                  {"test", {{"name", data.test.name}, {"samples", data.test.count}}},
                  {"shape", {data.train.height, data.train.width, data.train.channels}},
                  {"classes", data.train.num_classes}};
  j["model"] = "Conv2D(32,3x3,relu)-MaxPool2D(2)-Flatten-Dense(10); Adam(lr=0.001); sparse softmax cross-entropy";
  j["devices"] = devices;
  j["gpu_acceleration"] = gpu_ok;
  j["interrupted"] = interrupted;
  j["runs"] = json::array();
  for (const auto& r : runs) {
    json run = {{"backend", r.backend},
                {"device", r.device},
                {"status", r.status},
                {"error", r.error},
                {"fused_conv_bias_relu", r.fused_conv},
                {"epochs", epochs_json(r.history)},
                {"time_per_epoch_s", r.epoch_seconds()},
                {"time_per_step_s", r.step_seconds()},
                {"samples_per_s", r.samples_per_second()},
                {"final_loss", r.history.epochs.empty() ? json(nullptr) : json(r.history.epochs.back().loss)},
                {"train_accuracy",
                 r.history.epochs.empty() ? json(nullptr) : json(r.history.epochs.back().accuracy)},
                {"test_loss", r.test ? json(r.test->loss) : json(nullptr)},
                {"test_accuracy", r.test ? json(r.test->accuracy) : json(nullptr)},
                {"ops_on_backend", r.placement.ops_on_backend},
                {"ops_on_fallback", r.placement.ops_on_fallback},
                {"events", r.events}};
    run["speedup_vs_openblas_cpu"] =
        base && r.epoch_seconds() > 0 ? json(base->epoch_seconds() / r.epoch_seconds()) : json(nullptr);
    j["runs"].push_back(run);
  }
  j["unavailable"] = json::array();
  for (const auto& u : unavailable)
    j["unavailable"].push_back({{"backend", u.name},
                                {"state", u.state},
                                {"cause", u.cause},
                                {"message", u.message},
                                {"remedy", u.remedy}});
  return j;
}

// ---- the command --------------------------------------------------------------------------

int run_train(const TrainOptions& o) {
  std::FILE* out = text_stream(o);
  bp::nn::TrainTestSplit data;
  try {
    data = bp::nn::load_named_dataset(o.dataset, o.seed);  // the same sets as `backplane evaluate`
  } catch (const std::exception& e) {
    say(stderr, "backplane train: {}\n", e.what());
    return bp::cli::exit_error;
  }
  say(out, "Dataset: {} ({} training, {} test samples of {}x{}x{}, {} classes)\n", o.dataset, data.train.count,
      data.test.count, data.train.height, data.train.width, data.train.channels, data.train.num_classes);

  std::vector<const char*> paths;
  std::optional<bp::runtime> probe;
  try {
    probe.emplace(runtime_options(o, paths, nullptr, BP_FALLBACK_ALLOW));
  } catch (const bp::error& e) {
    return creation_failed(e.status(), e.what());
  }
  bool gpu_ok = false;
  const json devices = describe_devices(*probe, out, gpu_ok);

  // Which backends to train on, and which cannot serve.
  std::vector<std::string> targets;
  std::vector<Unavailable> unavailable;
  if (o.backend == "all") {
    for (const bp_plugin_info& info : probe->plugins()) {
      if (info.state == BP_STATE_READY)
        targets.emplace_back(info.name);
      else
        unavailable.push_back(unavailable_from(info));
    }
  } else {
    targets.push_back(o.backend);  // "auto": the runtime's own choice
  }
  probe.reset();

  SigintScope sigint;
  std::vector<RunResult> runs;
  int exit_code = bp::cli::exit_ready;
  for (const std::string& target : targets) {
    if (g_stop_requested.load()) break;
    const bool is_auto = target == "auto";
    std::optional<bp::runtime> rt;
    try {
      // auto: environment/priority order with the core's fallback warning;
      // a name: only that backend, no silent substitution.
      rt.emplace(runtime_options(o, paths, is_auto ? nullptr : target.c_str(),
                                 is_auto ? BP_FALLBACK_DEFAULT : BP_FALLBACK_ERROR));
      runs.push_back(train_on(*rt, data, o, out));
    } catch (const std::exception& e) {
      RunResult failed;
      failed.backend = target;
      failed.status = "failed";
      failed.error = e.what();
      say(stderr, "backplane train: {}: {}\n", target, e.what());
      runs.push_back(std::move(failed));
      // A backend that could not even start is "nothing usable" (or a configuration error);
      // a failure while training is an error.
      const auto* start_error = dynamic_cast<const bp::error*>(&e);
      exit_code = rt || !start_error || bp::cli::is_configuration_status(start_error->status())
                      ? bp::cli::exit_error
                      : bp::cli::exit_nothing_usable;
    }
  }
  const bool interrupted = g_stop_requested.load();
  if (interrupted) say(out, "Interrupted: stopped after the current step.\n");
  print_summary(runs, unavailable, o, out);

  if (o.json) {
    const std::string text =
        bp::cli::json_text(result_json(runs, unavailable, devices, gpu_ok, o, data, interrupted), 2) + "\n";
    if (o.json_file.empty()) {
      bp::cli::print_result(text);
    } else {
      std::ofstream file(o.json_file);
      file << text;
      file.close();
      if (!file) {
        say(stderr, "backplane train: cannot write {}\n", o.json_file);
        return bp::cli::exit_error;
      }
    }
  }
  return interrupted ? kExitInterrupted : exit_code;
}

}  // namespace

void register_train_command(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train the reference CNN (Conv2D-MaxPool-Flatten-Dense, Adam) and report speed and accuracy");
  cmd->add_option("--backend", options->backend,
                  "auto (the runtime's selection, with fallback), a plugin name (only that one), or all "
                  "(every usable backend in turn, then a comparison table)")
      ->type_name("auto|NAME|all");
  cmd->add_option("--epochs", options->epochs, "Number of epochs (default 1)")
      ->check(CLI::Range(1, 100000))
      ->type_name("N");
  cmd->add_option("--batch-size", options->batch_size, "Samples per step (default 32)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->type_name("N");
  cmd->add_option("--dataset", options->dataset,
                  "synthetic (1000 random 28x28x3 images, the default) or fashion-mnist[=DIR] (default DIR " +
                      std::string(bp::nn::kFashionMnistDefaultDir) + ")")
      ->type_name("NAME[=DIR]");
  cmd->add_option("--seed", options->seed, "Seed of the data, initial weights and shuffle (default 42)")
      ->type_name("N");
  cmd->add_option("--json", options->json_file, "Write the machine-readable result to FILE (or stdout)")
      ->expected(0, 1)
      ->type_name("[FILE]");
  cmd->add_option("--plugin-path", options->plugin_paths, "Plugin folder or file searched first; repeatable")
      ->type_name("DIR")
      ->allow_extra_args(false);
  cmd->add_option("--save", options->save,
                  "Write the trained weights to FILE (safetensors, with the architecture; see backplane evaluate)")
      ->type_name("FILE");
  cmd->callback([options, cmd]() {
    options->json = cmd->count("--json") > 0;
    if (!options->save.empty() && options->backend == "all") {
      say(stderr, "backplane train: --save needs one backend (auto or a name), not all\n");
      bp::cli::set_exit_code(bp::cli::exit_error);
      return;
    }
    // Plugins run in this command's own process: guarded, so none can corrupt the results or end the tool.
    bp::cli::set_exit_code(bp::cli::run_guarded("training", [&] { return run_train(*options); }));
  });
}
