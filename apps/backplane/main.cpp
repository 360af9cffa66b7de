// main.cpp — the `backplane` command-line tool: builds the CLI11 app from the
// registered subcommands and turns parse results into exit codes.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "backplane/runtime.h"
#include "backplane/text.hpp"
#include "cli_common.hpp"
#include "commands.hpp"
#include "report_collect.hpp"
#include "tool_output.hpp"

namespace {
// One line on stderr, printable whatever the bytes of the message; exit status 1.
int fail(const char* kind, const std::string& message) {
  std::fputs(bp::printable_utf8("backplane: " + std::string(kind) + message + "\n").c_str(), stderr);
  return bp::cli::exit_error;
}
}  // namespace

int main(int argc, char** argv) {
  bp::cli::results_on_terminal();  // decided once, before any command redirects its output
  CLI::App app{fmt::format("backplane {} — inspect and use Backplane tensor backends", bp_version_string())};
  app.footer(bp::cli::exit_codes_help);
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(bp_version_string()));

  register_devices_command(app);
  register_doctor_command(app);
  register_conformance_command(app);
#ifdef BACKPLANE_HAVE_TRAIN
  register_train_command(app);
  register_evaluate_command(app);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help / --version
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a subcommand chose its exit code by throwing
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the usage problem
    return bp::cli::exit_error;
  } catch (const bp::cli::configuration_error& e) {
    return fail("configuration error: ", e.what());
  } catch (const bp::cli::output_error& e) {
    return fail("", e.what());
  } catch (const std::exception& e) {
    return fail("internal error: ", e.what());
  }
  // Every command's results end here: a write that failed late (a full disk) is an error too.
  try {
    bp::cli::finish_results();
  } catch (const bp::cli::output_error& e) {
    return fail("", e.what());
  }
  return bp::cli::exit_code();
}
