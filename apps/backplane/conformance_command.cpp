// conformance_command.cpp — `backplane conformance [PLUGIN.so ...] [-b NAME]
// [-o OP] [--mode test|grad|perf|support] [--reference REF.so] [--seed N]
// [--json]`: runs the SDK conformance kit (sdk/conformance) on plugin files —
// those given, plus the discovered ones -b names — and prints one
// PASS/FAIL/SKIP line per check; perf and support end with one table across
// the plugins.
//
// Exit codes: 0 every check passed (skips allowed), 1 usage error or at least
// one check failed.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "backplane/conformance/conformance.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "op_matrix.hpp"

namespace {

struct conformance_args {
  std::vector<std::string> plugins;
  std::vector<std::string> backends;  // -b: discovered plugins by name
  std::vector<std::string> ops;       // -o
  std::vector<std::string> plugin_paths;
  std::string mode = "test";
  std::string reference;
  std::string cases_file;
  uint64_t seed = 1;
  uint32_t threads = 4;
  uint32_t cycles = 100;
  double seconds = 0.2;
  bool json = false;
  bool list_cases = false;
  bool no_isolate = false;
  bool use_environment = false;
};

bp::conformance::options kit_options(const conformance_args& args) {
  bp::conformance::options options;
  if (!bp::conformance::parse_mode(args.mode, &options.run_mode))
    throw CLI::ValidationError("--mode", "'" + args.mode + "' is not a mode: test, grad, perf or support");
  options.seed = args.seed;
  options.threads = args.threads;
  options.leak_cycles = args.cycles;
  options.isolate = !args.no_isolate;
  options.use_environment = args.use_environment;
  options.ops = args.ops;
  options.cases_file = args.cases_file;
  options.perf_seconds = args.seconds;
  return options;
}

void list_cases(const bp::conformance::options& options) {
  for (const std::string& line : backplane_conformance_list_cases(options)) std::printf("%s\n", line.c_str());
}

void run_conformance(const conformance_args& args) {
  const bp::conformance::options options = kit_options(args);
  if (args.list_cases) {
    list_cases(options);
    return;
  }
  std::vector<std::string> files = args.plugins;
  if (!args.backends.empty()) {
    const std::vector<std::string> named = bp::cli::discovered_plugin_files(args.backends, args.plugin_paths);
    if (named.empty())
      throw CLI::ValidationError("-b", "no plugin file named " + bp::cli::join(args.backends, ", ") +
                                           " was found in the search paths (see `backplane devices`)");
    files.insert(files.end(), named.begin(), named.end());
  }
  if (files.empty()) throw CLI::ValidationError("plugin", "name a plugin file or a discovered plugin with -b NAME");
  std::vector<bp::conformance::report> reports;
  bool passed = true;
  nlohmann::json all = nlohmann::json::array();
  for (const std::string& file : files) {
    reports.push_back(backplane_conformance_run(file, args.reference, options));
    passed = passed && reports.back().passed();
    if (args.json) all.push_back(nlohmann::json::parse(reports.back().json()));
    else std::fputs(reports.back().text().c_str(), stdout);
  }
  if (args.json) {
    std::fputs(((files.size() == 1 ? all[0] : all).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(),
               stdout);
  } else if (options.run_mode == bp::conformance::mode::support) {
    std::fputs(("\n" + bp::cli::render_support_matrix(reports)).c_str(), stdout);
  } else if (options.run_mode == bp::conformance::mode::perf) {
    std::fputs(("\n" + bp::cli::render_perf_table(reports)).c_str(), stdout);
  }
  std::fflush(stdout);
  bp::cli::set_exit_code(passed ? 0 : bp::cli::exit_error);
}

}  // namespace

void register_conformance_command(CLI::App& app) {
  auto args = std::make_shared<conformance_args>();
  CLI::App* cmd = app.add_subcommand(
      "conformance",
      "Check plugin files against the ABI and a reference plugin (openblas-cpu by default) with the kit's op cases: "
      "--mode test (table and version handling, op results, honest op_supports, clean errors, leaks, threads), "
      "grad (backward ops against finite differences of the forward ops), perf (GFLOP/s or GB/s and the fraction "
      "of the plugin's measured peak) or support (what each plugin claims and declines)");
  cmd->add_option("plugin", args->plugins, "Plugin files (libbackplane-NAME.so)")->check(CLI::ExistingFile);
  cmd->add_option("-b,--backend", args->backends, "Also run on the discovered plugin(s) of these names (repeatable or a,b)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("-o,--op", args->ops,
                  "Only these op kinds: a name (CONV2D_FWD) or a prefix ending at '_' (CONV2D); repeatable or a,b")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--mode", args->mode, "test (default), grad, perf or support");
  cmd->add_option("--cases", args->cases_file, "A case file of your own, run after the kit's (format: docs/testing.md)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--list-cases", args->list_cases, "Print the selected cases of the mode's suite as JSON lines and exit");
  cmd->add_option("--plugin-path", args->plugin_paths, "Search this folder first for -b (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--reference", args->reference,
                  "Reference plugin file (default: the bundled openblas-cpu found by the core)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--seed", args->seed, "Seed of the random inputs (default 1)");
  cmd->add_option("--threads", args->threads, "Threads of the concurrency check (default 4; 0 skips it)");
  cmd->add_option("--cycles", args->cycles, "Runtime create/destroy cycles of the leak check (default 100; 0 skips it)");
  cmd->add_option("--seconds", args->seconds, "perf: seconds of timed runs per case (default 0.2)")
      ->check(CLI::Range(0.0, 60.0));
  cmd->add_flag("--json", args->json, "Machine-readable report on stdout (an array with several plugins)");
  cmd->add_flag("--no-isolate", args->no_isolate,
                "Run the checks in this process (a crashing plugin then ends the run)");
  cmd->add_flag("--use-environment", args->use_environment,
                "Let the runtimes read BACKPLANE_* variables (e.g. BACKPLANE_CUDA_PATH for a GPU plugin's "
                "libraries); by default the kit ignores them so the environment cannot change the verdict");
  cmd->callback([args] { run_conformance(*args); });
}
