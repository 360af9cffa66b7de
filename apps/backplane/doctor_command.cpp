// doctor_command.cpp — `backplane doctor`: the whole diagnosis on one screen,
// ending with one verdict line; --json prints the report itself.
#include <algorithm>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "backplane/runtime.h"
#include "cli_common.hpp"
#include "commands.hpp"
#include "isolated_probe.hpp"
#include "report_collect.hpp"
#include "report_text.hpp"
#include "tool_output.hpp"

namespace bp::cli {
namespace {

using json = nlohmann::json;

struct doctor_options {
  common_options common;
  bool isolate = true;
  bool fix = false;  // print the fix lines only
  double timeout_seconds = 10.0;
};

void render_discovery(std::string& out, const json& report, const palette& style) {
  const json& discovery = json_object(report, "discovery");
  out += style.bold("Search paths") + " (in order)\n";
  int index = 0;
  for (const json& path : json_array(discovery, "search_paths")) {
    const bool exists = json_bool(path, "exists");
    const std::string note = json_string(path, "note");
    out += fmt::format("  {}. {:<10} {}  {}\n", ++index, "[" + json_string(path, "origin") + "]",
                       json_string(path, "path"),
                       style.dim(std::string(exists ? "exists" : "missing") + (note.empty() ? "" : "; " + note)));
  }
  if (index == 0) out += "  (none)\n";
  out += style.bold("Candidate files") + "\n";
  int count = 0;
  for (const json& candidate : json_array(discovery, "candidates")) {
    ++count;
    const std::string decision = json_string(candidate, "decision");
    const std::string reason = json_string(candidate, "reason");
    const std::string shown = decision == "loaded" ? style.good(decision) : style.warn(decision);
    out += fmt::format("  {:<9} {}{}\n", shown, json_string(candidate, "path"), reason.empty() ? "" : "  (" + reason + ")");
  }
  if (count == 0) out += "  (no libbackplane-*.so file found)\n";
}

void render_dependency(std::string& out, const json& dep, const palette& style) {
  const std::string cause = json_string(dep, "cause", "none");
  const bool ok = cause == "none" || cause.empty();
  const bool required = json_bool(dep, "required", true);
  const std::string name = json_string(dep, "name");
  const std::string soname = json_string(dep, "soname");
  const std::string label = name.find(soname) != std::string::npos ? name : name + " " + soname;
  const std::string loaded = json_string(dep, "loaded_path");
  const std::string found = json_string(dep, "version_found");
  if (ok) {  // one line: what was loaded, from where
    out += fmt::format("      {} {}{}{}{}\n", style.good("ok  "), label, found.empty() ? "" : " " + found,
                       loaded.empty() ? "" : " <- " + loaded, required ? "" : style.dim(" (optional)"));
    return;
  }
  out += fmt::format("      {} {}  {}  {}\n", required ? style.bad("FAIL") : style.warn("warn"), label,
                     required ? "required" : "optional", style.bad(cause));
  if (!loaded.empty()) out += fmt::format("           loaded    {}\n", loaded);
  const std::string wanted = json_string(dep, "version_required");
  const std::string rule = json_string(dep, "rule");
  if (!found.empty() || !wanted.empty())
    out += fmt::format("           version   found {}, required {}{}\n", found.empty() ? "-" : found,
                       wanted.empty() ? "-" : wanted, rule.empty() ? "" : " (rule: " + rule + ")");
  for (const json& entry : json_array(dep, "searched"))
    out += fmt::format("           searched  {} [{}]: {}\n", folder_label(json_string(entry, "directory")),
                       json_string(entry, "origin"), json_string(entry, "result"));
  const std::string message = json_string(dep, "message");
  if (!message.empty()) out += fmt::format("           error     {}\n", message);
  const std::string remedy = json_string(dep, "remedy");
  if (!remedy.empty()) out += fmt::format("           fix       {}\n", remedy);
}

void render_plugins(std::string& out, const json& report, const palette& style) {
  out += style.bold("Plugins") + "\n";
  const json& plugins = json_array(report, "plugins");
  if (plugins.empty()) out += "  (none loaded)\n";
  for (const json& plugin : plugins) {
    const std::string state = json_string(plugin, "state");
    const std::string cause = json_string(plugin, "cause", "none");
    out += fmt::format("  {} {} ({}, priority {}): {}{}{}\n", style.bold(json_string(plugin, "name")),
                       json_string(plugin, "version"), json_string(plugin, "device_kind", "?"),
                       json_int(plugin, "priority"), style.state(state),
                       state == "ready" ? "" : fmt::format(" at stage {}, cause {}", json_string(plugin, "stage"), cause),
                       json_bool(plugin, "selected") ? style.good("  <- selected") : "");
    out += fmt::format("    file      {}\n", json_string(plugin, "path"));
    if (state != "ready") {
      out += fmt::format("    why       {}\n", failure_reason(plugin));
      // The plugin's own message, unless a failing dependency below already says it.
      const std::string message = json_string(plugin, "message");
      if (!message.empty() && message != failure_reason(plugin) && culprit_dependency(plugin) == nullptr)
        out += fmt::format("    message   {}\n", message);
      const std::string remedy = failure_remedy(plugin);
      if (!remedy.empty()) out += fmt::format("    fix       {}\n", remedy);
    }
    // What its isolated child printed (warnings, a crash message): shown whatever the state.
    const std::string tail = child_output_tail(plugin);
    size_t line_start = 0;
    for (bool first = true; !tail.empty() && line_start <= tail.size(); first = false) {
      const size_t end = std::min(tail.find('\n', line_start), tail.size());
      out += fmt::format("    {:<9} {}\n", first ? "output" : "", tail.substr(line_start, end - line_start));
      line_start = end + 1;
    }
    const json& deps = json_array(plugin, "dependencies");
    if (!deps.empty()) out += "    dependencies\n";
    for (const json& dep : deps) render_dependency(out, dep, style);
    int index = 0;
    for (const json& device : json_array(plugin, "devices"))
      out += fmt::format("    device {}  {} [{}] memory {}, capability {}\n", index++, json_string(device, "name"),
                         json_string(device, "kind"), format_bytes(json_int(device, "memory_total")),
                         json_string(device, "capability", "-"));
  }
}

void render_environment(std::string& out, const json& report, const palette& style) {
  out += style.bold("Environment") + "\n";
  const json& env = json_object(report, "environment");
  for (auto it = env.begin(); it != env.end(); ++it)
    out += fmt::format("  {}={}\n", it.key(), it->is_string() ? it->get<std::string>() : it->dump());
  // Always say whether these two are set: they change what the GPU plugins see.
  for (const char* name : {"LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES"})
    if (!env.contains(name)) out += fmt::format("  {} {}\n", name, style.dim("(unset)"));
  bool any_backplane = false;
  for (auto it = env.begin(); it != env.end(); ++it) any_backplane = any_backplane || it.key().rfind("BACKPLANE_", 0) == 0;
  if (!any_backplane) out += "  (no BACKPLANE_* variable set)\n";
}

void render_selection(std::string& out, const json& report, const palette& style) {
  out += style.bold("Selection") + "\n";
  const json& policy = json_object(report, "policy");
  std::vector<std::string> backends, disabled;
  for (const json& b : json_array(policy, "backends")) backends.push_back(b.is_string() ? b.get<std::string>() : b.dump());
  for (const json& d : json_array(policy, "disabled")) disabled.push_back(d.is_string() ? d.get<std::string>() : d.dump());
  out += fmt::format("  policy    backends {}; fallback {}; disabled {}; op_fallback {}\n",
                     backends.empty() ? "by priority (GPU first)" : join(backends, ","),
                     json_string(policy, "fallback", "warn"), disabled.empty() ? "none" : join(disabled, ","),
                     json_bool(policy, "op_fallback", true) ? "on" : "off");
  const json& selected = json_object(report, "selected");
  out += fmt::format("  preferred {}; selected {}\n", json_string(report, "preferred", "(none)"),
                     json_string(selected, "backend", "(none)"));
  for (const json& event : json_array(report, "events"))
    out += fmt::format("  event     {}: {} -> {} (stage {}, cause {})\n", json_string(event, "kind"),
                       json_string(event, "plugin"), json_string(event, "selected", "(nothing)"),
                       json_string(event, "stage"), json_string(event, "cause"));
}

std::string render_doctor(const json& report, const doctor_options& options, const palette& style) {
  std::string out;
  const json& abi = json_object(report, "abi");
  out += fmt::format("{} — backplane {}, ABI {}.{}, isolation {}\n\n", style.bold("Backplane doctor"),
                     json_string(report, "backplane_version", bp_version_string()), json_int(abi, "major"),
                     json_int(abi, "minor"),
                     options.isolate ? fmt::format("on (one child per plugin file, timeout {} s)", options.timeout_seconds)
                                     : std::string("off (every plugin probed in one child process)"));
  render_discovery(out, report, style);
  render_plugins(out, report, style);
  render_environment(out, report, style);
  render_selection(out, report, style);
  const std::string verdict = json_string(report, "verdict");
  const std::string line = "Verdict: " + verdict_line(report);
  out += "\n" + (verdict == "ready" ? style.good(line) : verdict == "fell_back" ? style.warn(line) : style.bad(line)) + "\n";
  for (const std::string& note : report_notes(report)) out += style.dim("Note: " + note) + "\n";
  return out;
}

void run_doctor(const doctor_options& options) {
  runtime_request request;
  request.plugin_paths = options.common.plugin_paths;
  request.backends = options.common.backends;
  json report = gather_report(request, options.isolate, options.timeout_seconds);
  if (options.fix)
    print_result(join(fix_lines(report), "\n") + "\n");
  else if (options.common.json)
    print_result(json_text(report, 2) + "\n");
  else
    print_result(render_doctor(report, options, palette(colour_wanted())));
  set_exit_code(exit_code_for_verdict(json_string(report, "verdict")));
}

}  // namespace
}  // namespace bp::cli

void register_doctor_command(CLI::App& app) {
  auto options = std::make_shared<bp::cli::doctor_options>();
  CLI::App* doctor = app.add_subcommand(
      "doctor",
      "Diagnose plugin discovery, loading and selection: search paths, every candidate file, each plugin's "
      "per-dependency report, the environment, the selection, and one verdict line");
  bp::cli::add_common_options(*doctor, options->common);
  doctor->add_flag("--isolate,!--no-isolate", options->isolate,
                   "Probe each plugin file in its own child process (default on): a crash or hang is reported as "
                   "probe_crashed / probe_timeout instead of killing the tool. --no-isolate probes every plugin "
                   "together in one child process, as a host application loads them");
  doctor->add_flag("--fix", options->fix,
                   "Print (never run) the command or variable that would make each failing dependency usable, one "
                   "per failing dependency (e.g. export BACKPLANE_CUDNN_PATH=..., or the pip package to install)");
  bp::cli::add_timeout_option(*doctor, options->timeout_seconds);
  doctor->footer(bp::cli::exit_codes_help);
  doctor->callback([options]() { bp::cli::run_doctor(*options); });
}
