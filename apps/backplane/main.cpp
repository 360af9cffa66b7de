// main.cpp — the `backplane` command-line tool: builds the CLI11 app from the
// registered subcommands and turns parse results into exit codes.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "backplane/runtime.h"
#include "cli_common.hpp"
#include "commands.hpp"
#include "report_collect.hpp"

int main(int argc, char** argv) {
  CLI::App app{fmt::format("backplane {} — inspect and use Backplane tensor backends", bp_version_string())};
  app.footer(bp::cli::exit_codes_help);
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(bp_version_string()));

  register_devices_command(app);
  register_doctor_command(app);
  register_conformance_command(app);
#ifdef BACKPLANE_HAVE_TRAIN
  register_train_command(app);
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
    std::fprintf(stderr, "backplane: configuration error: %s\n", e.what());
    return bp::cli::exit_error;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "backplane: internal error: %s\n", e.what());
    return bp::cli::exit_error;
  }
  return bp::cli::exit_code();
}
