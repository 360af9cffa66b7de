// devices_command.cpp — `backplane devices`: every plugin found, its state,
// its devices, and which backend a host application would get now. Unlike a
// bare device list, a missing device comes with its cause and remedy.
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli_common.hpp"
#include "commands.hpp"
#include "isolated_probe.hpp"
#include "op_matrix.hpp"
#include "report_collect.hpp"
#include "report_text.hpp"
#include "tool_output.hpp"

namespace bp::cli {
namespace {

using json = nlohmann::json;

struct devices_options {
  common_options common;
  bool isolate = true;
  double timeout_seconds = 10.0;
  bool ops = false;  // --ops: the conformance kit's support matrix of the ready plugins
};

// --ops: what each ready plugin claims and declines of the kit's op cases,
// each plugin asked in a child process (sdk/conformance, support mode).
std::vector<bp::conformance::report> support_reports(const json& report) {
  bp::conformance::options options;
  options.run_mode = bp::conformance::mode::support;
  std::vector<bp::conformance::report> reports;
  for (const json& plugin : json_array(report, "plugins"))
    if (json_string(plugin, "state") == "ready") reports.push_back(backplane_conformance_run(json_string(plugin, "path"), "", options));
  return reports;
}

// The subset of the report that `devices --json` prints (docs/operations.md).
json devices_view(const json& report) {
  json plugins = json::array();
  for (const json& plugin : json_array(report, "plugins")) {
    json entry = {{"name", json_string(plugin, "name")},
                  {"path", json_string(plugin, "path")},
                  {"version", json_string(plugin, "version")},
                  {"state", json_string(plugin, "state")},
                  {"device_kind", json_string(plugin, "device_kind")},
                  {"priority", json_int(plugin, "priority")},
                  {"selected", json_bool(plugin, "selected")},
                  {"devices", json_array(plugin, "devices")}};
    if (json_string(plugin, "state") != "ready") {
      entry["cause"] = json_string(plugin, "cause");
      entry["stage"] = json_string(plugin, "stage");
      entry["reason"] = failure_reason(plugin);
      entry["remedy"] = failure_remedy(plugin);
    }
    plugins.push_back(std::move(entry));
  }
  return {{"schema_version", report.value("schema_version", 1)},
          {"plugins", std::move(plugins)},
          {"preferred", report.value("preferred", json(nullptr))},
          {"selected", report.value("selected", json(nullptr))},
          {"verdict", json_string(report, "verdict")},
          {"summary", verdict_line(report)},
          {"notes", report_notes(report)}};
}

std::string describe_device(const json& device) {
  std::string text = fmt::format("{} [{}]", json_string(device, "name", "(unnamed)"), json_string(device, "kind", "?"));
  const int64_t total = json_int(device, "memory_total");
  const int64_t free_bytes = json_int(device, "memory_free");
  text += ", memory " + format_bytes(static_cast<uint64_t>(total));
  if (free_bytes > 0) text += " (" + format_bytes(static_cast<uint64_t>(free_bytes)) + " free)";
  const std::string capability = json_string(device, "capability");
  if (!capability.empty()) text += ", capability " + capability;
  if (json_int(device, "compute_major") > 0)
    text += fmt::format(", compute {}.{}", json_int(device, "compute_major"), json_int(device, "compute_minor"));
  if (json_int(device, "threads") > 0) text += fmt::format(", {} threads", json_int(device, "threads"));
  return text;
}

std::string render_devices(const json& report, const palette& style) {
  std::string out;
  const json& plugins = json_array(report, "plugins");
  out += style.bold(fmt::format("Plugins ({} found)", plugins.size())) + "\n";
  for (const json& plugin : plugins) {
    const std::string state = json_string(plugin, "state");
    out += fmt::format("  {:<14} {:<14} {:<5} priority {:<4} {}\n", json_string(plugin, "name"), style.state(state),
                       json_string(plugin, "device_kind", "?"), json_int(plugin, "priority"),
                       json_bool(plugin, "selected") ? style.good("<- selected") : "");
    if (state != "ready") {
      out += fmt::format("      cause   {} ({})\n", json_string(plugin, "cause", "none"), failure_reason(plugin));
      const std::string remedy = failure_remedy(plugin);
      if (!remedy.empty()) out += fmt::format("      fix     {}\n", remedy);
    }
    const std::string tail = child_output_tail(plugin, 3);
    if (!tail.empty()) out += fmt::format("      output  {}\n", tail);
    int index = 0;
    for (const json& device : json_array(plugin, "devices"))
      out += fmt::format("      device {}: {}\n", index++, describe_device(device));
    if (state == "ready" && index == 0) out += "      (no device properties reported)\n";
  }
  if (plugins.empty()) out += "  (none: no libbackplane-*.so in the search paths; see `backplane doctor`)\n";
  const json& selected = json_object(report, "selected");
  out += "\n" + style.bold("A host application would get: ") +
         (selected.empty() ? style.bad("nothing") : style.good(json_string(selected, "backend"))) + "\n";
  out += verdict_line(report) + "\n";
  for (const std::string& note : report_notes(report)) out += style.dim("Note: " + note) + "\n";
  return out;
}

void run_devices(const devices_options& options) {
  runtime_request request;
  request.plugin_paths = options.common.plugin_paths;
  request.backends = options.common.backends;
  json report = gather_report(request, options.isolate, options.timeout_seconds);
  const std::vector<bp::conformance::report> ops = options.ops ? support_reports(report) : std::vector<bp::conformance::report>{};
  if (options.common.json) {
    json view = devices_view(report);
    if (options.ops) view["ops"] = support_matrix_json(ops);
    print_result(json_text(view, 2) + "\n");
  } else {
    print_result(render_devices(report, palette(colour_wanted())) +
                 (options.ops ? "\n" + palette(colour_wanted()).bold("Ops (what each ready plugin runs itself)") + "\n" +
                                    render_support_matrix(ops)
                              : ""));
  }
  set_exit_code(exit_ready);
}

}  // namespace
}  // namespace bp::cli

void register_devices_command(CLI::App& app) {
  auto options = std::make_shared<bp::cli::devices_options>();
  CLI::App* devices = app.add_subcommand(
      "devices", "List every plugin found, its state and devices, why a device is missing (cause and remedy), and "
                 "which backend a host application would get now");
  bp::cli::add_common_options(*devices, options->common);
  devices->add_flag("--isolate,!--no-isolate", options->isolate,
                    "Probe each plugin file in its own child process (default on: a plugin that crashes, hangs, "
                    "writes to stdout or ends its process cannot change the listing); --no-isolate probes every "
                    "plugin together in one child process");
  bp::cli::add_timeout_option(*devices, options->timeout_seconds);
  devices->add_flag("--ops", options->ops,
                    "Also show which op cases of the conformance kit each ready plugin runs itself and why it "
                    "declines the others (the same matrix as `backplane conformance --mode support`)");
  devices->footer("Exit codes: 0 = listed (whatever the plugins' states); 1 = usage or internal error.\n"
                  "Use `backplane doctor` for a verdict as an exit code.");
  devices->callback([options]() { bp::cli::run_devices(*options); });
}
