// conformance_command.cpp — `backplane conformance PLUGIN.so [--reference REF.so]
// [--seed N] [--json]`: runs the SDK conformance kit (sdk/conformance) on one
// plugin file and prints one PASS/FAIL/SKIP line per check.
//
// Exit codes: 0 every check passed (skips allowed), 1 usage error or at least
// one check failed.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "backplane/conformance/conformance.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

namespace {

struct conformance_args {
  std::string plugin;
  std::string reference;
  uint64_t seed = 1;
  uint32_t threads = 4;
  uint32_t cycles = 100;
  bool json = false;
  bool no_isolate = false;
  bool use_environment = false;
};

void run_conformance(const conformance_args& args) {
  bp::conformance::options options;
  options.seed = args.seed;
  options.threads = args.threads;
  options.leak_cycles = args.cycles;
  options.isolate = !args.no_isolate;
  options.use_environment = args.use_environment;
  const bp::conformance::report report = backplane_conformance_run(args.plugin, args.reference, options);
  const std::string text = args.json ? report.json() : report.text();
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  bp::cli::set_exit_code(report.passed() ? 0 : bp::cli::exit_error);
}

}  // namespace

void register_conformance_command(CLI::App& app) {
  auto args = std::make_shared<conformance_args>();
  CLI::App* cmd = app.add_subcommand(
      "conformance",
      "Check a plugin file against the ABI and a reference plugin (openblas-cpu by default): table and "
      "version handling, op results, honest op_supports, clean errors, leaks, threads");
  cmd->add_option("plugin", args->plugin, "The plugin file (libbackplane-NAME.so)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--reference", args->reference,
                  "Reference plugin file (default: the bundled openblas-cpu found by the core)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--seed", args->seed, "Seed of the random inputs (default 1)");
  cmd->add_option("--threads", args->threads, "Threads of the concurrency check (default 4; 0 skips it)");
  cmd->add_option("--cycles", args->cycles, "Runtime create/destroy cycles of the leak check (default 100; 0 skips it)");
  cmd->add_flag("--json", args->json, "Machine-readable report on stdout");
  cmd->add_flag("--no-isolate", args->no_isolate,
                "Run the raw-table checks in this process (a crashing plugin then ends the run)");
  cmd->add_flag("--use-environment", args->use_environment,
                "Let the runtimes read BACKPLANE_* variables (e.g. BACKPLANE_CUDA_PATH for a GPU plugin's "
                "libraries); by default the kit ignores them so the environment cannot change the verdict");
  cmd->callback([args] { run_conformance(*args); });
}
