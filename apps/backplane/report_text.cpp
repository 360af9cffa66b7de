// report_text.cpp — see report_text.hpp.
#include "report_text.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "backplane/dep_search_words.hpp"
#include "backplane/runtime.h"

namespace bp::cli {

using json = nlohmann::json;

int cause_code_from_name(const std::string& name) {
  for (int code = 0; code < BP_CAUSE_COUNT_; ++code)
    if (name == bp_cause_name(code)) return code;
  return -1;
}

std::string folder_label(const std::string& directory) {
  return directory.empty() ? "the dynamic linker's default search" : directory;
}

const json* culprit_dependency(const json& plugin) {
  // Only a REQUIRED dependency can decide the outcome: the plugin works
  // without an optional one, so a missing optional library never stands in
  // for the real failure (init, memory, device); it stays a note in the list.
  for (const json& dep : json_array(plugin, "dependencies")) {
    const std::string cause = json_string(dep, "cause", "none");
    if (cause == "none" || cause.empty()) continue;
    if (json_bool(dep, "required", true)) return &dep;
  }
  return nullptr;
}

namespace {

std::string searched_folders(const json& dep) {
  std::vector<std::string> folders;
  for (const json& entry : json_array(dep, "searched")) {
    std::string folder = folder_label(json_string(entry, "directory"));
    if (std::find(folders.begin(), folders.end(), folder) == folders.end()) folders.push_back(folder);
  }
  return folders.empty() ? std::string("no folder") : join(folders, ", ");
}

std::string dependency_reason(const json& dep) {
  const std::string cause = json_string(dep, "cause");
  const std::string name = json_string(dep, "name", json_string(dep, "soname"));
  const std::string soname = json_string(dep, "soname");
  const std::string found = json_string(dep, "version_found");
  const std::string required = json_string(dep, "version_required");
  const std::string rule = json_string(dep, "rule");
  const std::string loaded = json_string(dep, "loaded_path");
  if (cause == "driver_missing" && !loaded.empty())  // a file loaded but is no driver (e.g. the toolkit's link stub)
    return fmt::format("{} missing: {}", name, json_string(dep, "message", loaded));
  if (cause == "not_found" || cause == "driver_missing") {
    const std::string what = cause == "driver_missing" ? "missing" : "not found";
    return fmt::format("{} {} ({} not found in: {})", name, what, soname, searched_folders(dep));
  }
  if (cause == "version_mismatch" || cause == "driver_too_old") {
    std::string text = fmt::format("{} ({}) {}: found {}, required {}", name, soname,
                                   cause == "driver_too_old" ? "is too old" : "has an incompatible version",
                                   found.empty() ? "?" : found, required.empty() ? "?" : required);
    if (!rule.empty()) text += " (rule: " + rule + ")";
    return text;
  }
  std::string text = fmt::format("{} ({}): {}", name, soname, cause);
  const std::string message = json_string(dep, "message");
  if (!message.empty()) text += " — " + message;
  return text;
}

}  // namespace

std::string failure_reason(const json& plugin) {
  if (const json* dep = culprit_dependency(plugin)) return dependency_reason(*dep);
  const std::string message = json_string(plugin, "message");
  if (!message.empty()) return message;
  return json_string(plugin, "cause", json_string(plugin, "state", "unknown reason"));
}

std::string failure_remedy(const json& plugin) {
  if (const json* dep = culprit_dependency(plugin)) {
    const std::string remedy = json_string(*dep, "remedy");
    if (!remedy.empty()) return remedy;
  }
  const std::string remedy = json_string(plugin, "remedy");
  if (!remedy.empty()) return remedy;
  const int code = cause_code_from_name(json_string(plugin, "cause"));
  return code >= 0 ? bp_cause_remedy(code) : "";
}

std::string backend_label(const json& plugin) {
  const std::string kind = json_string(plugin, "device_kind");
  const std::string name = json_string(plugin, "name");
  if (kind == "gpu") return fmt::format("GPU backend '{}'", name);
  if (kind == "cpu") return fmt::format("CPU backend '{}'", name);
  return fmt::format("backend '{}'", name);
}

bool is_duplicate_copy(const json& plugin) { return json_string(plugin, "cause") == "duplicate"; }

const json* find_plugin(const json& report, const std::string& name) {
  const json* duplicate = nullptr;
  for (const json& plugin : json_array(report, "plugins")) {
    if (json_string(plugin, "name") != name) continue;
    if (!is_duplicate_copy(plugin)) return &plugin;
    if (!duplicate) duplicate = &plugin;
  }
  return duplicate;
}

std::vector<std::string> report_notes(const json& report) {
  std::vector<std::string> notes;
  for (const json& plugin : json_array(report, "plugins")) {
    if (!is_duplicate_copy(plugin)) continue;
    const std::string name = json_string(plugin, "name");
    const json* used = find_plugin(report, name);
    const std::string first = used && used != &plugin ? json_string(*used, "path") : std::string();
    notes.push_back(fmt::format("plugin '{}' was found again at {} and that copy was ignored (the first copy found "
                                "wins{}); remove one copy if they differ",
                                name, json_string(plugin, "path"), first.empty() ? "" : ": " + first));
  }
  return notes;
}

std::string child_output_tail(const json& plugin, size_t max_lines) {
  std::string tail = json_string(json_object(plugin, "isolation"), "output_tail");
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.pop_back();
  size_t start = tail.size(), lines = 0;
  while (start > 0 && lines < max_lines) {
    const size_t newline = tail.rfind('\n', start - 1);
    ++lines;
    start = newline == std::string::npos ? 0 : newline + (lines < max_lines ? 0 : 1);
    if (newline == std::string::npos) break;
  }
  std::string out = tail.substr(start);
  while (!out.empty() && out.front() == '\n') out.erase(0, 1);
  return out;
}

std::string verdict_line(const json& report) {
  const std::string verdict = json_string(report, "verdict");
  const std::string preferred = json_string(report, "preferred");
  const json& selected = json_object(report, "selected");
  const std::string selected_name = json_string(selected, "backend");
  const std::string policy = json_string(json_object(report, "policy"), "fallback", "warn");
  const json* wanted = find_plugin(report, preferred);

  auto why_not = [&](const std::string& name, const json* plugin) {
    if (!plugin) return fmt::format("backend '{}' cannot serve: no plugin with that name was found", name);
    return fmt::format("{} cannot serve: {}", backend_label(*plugin), failure_reason(*plugin));
  };
  auto fix_for = [&](const json* plugin) {
    const std::string remedy = plugin ? failure_remedy(*plugin) : std::string(bp_cause_remedy(BP_CAUSE_NOT_FOUND));
    return remedy.empty() ? std::string() : " Fix: " + remedy + (remedy.back() == '.' ? "" : ".");
  };

  if (verdict == "ready") {
    const json* plugin = find_plugin(report, selected_name);
    const std::string device = json_string(json_object(selected, "device"), "name");
    return fmt::format("Ready: using {} (the preferred backend){}.",
                       plugin ? backend_label(*plugin) : "'" + selected_name + "'",
                       device.empty() ? "" : " on " + device);
  }
  if (verdict == "fell_back") {
    std::string line = why_not(preferred, wanted) + ". Using '" + selected_name + "'." + fix_for(wanted);
    if (policy == "error")
      line += " BACKPLANE_FALLBACK=error is set: a host application would fail instead of falling back.";
    else
      line += " To make this fatal: BACKPLANE_FALLBACK=error";
    return line;
  }
  // nothing usable: name every candidate's reason.
  // With a backend list only the listed backends were candidates.
  std::vector<std::string> listed;
  for (const json& name : json_array(json_object(report, "policy"), "backends"))
    if (name.is_string()) listed.push_back(name.get<std::string>());
  std::vector<std::string> reasons, unlisted_ready;
  const json* first_candidate = nullptr;
  for (const json& plugin : json_array(report, "plugins")) {
    if (is_duplicate_copy(plugin)) continue;  // a note (report_notes), not a reason
    if (!first_candidate) first_candidate = &plugin;
    const std::string name = json_string(plugin, "name");
    const std::string state = json_string(plugin, "state");
    if (!listed.empty() && std::find(listed.begin(), listed.end(), name) == listed.end()) {
      if (state == "ready") unlisted_ready.push_back(name);
      continue;
    }
    reasons.push_back(fmt::format("'{}' {}{}", name, state, state == "disabled" ? "" : " (" + failure_reason(plugin) + ")"));
  }
  if (reasons.empty()) reasons.push_back("no plugin was found in any search path");
  if (!unlisted_ready.empty())
    reasons.push_back("ready but not in the backend list: " + join(unlisted_ready, ", "));
  return "Nothing usable: no backend can serve. " + join(reasons, "; ") + "." +
         fix_for(wanted ? wanted : first_candidate);
}

std::vector<std::string> fix_lines(const json& report) {
  std::vector<std::string> lines;
  auto add = [&](const std::string& what, const std::string& remedy) {
    const std::string line = bp::contract::dep_fix_line(remedy);
    if (line.empty()) {
      lines.push_back("# " + what + ": no command known; " + (remedy.empty() ? std::string("see backplane doctor") : remedy));
      return;
    }
    lines.push_back("# " + what);
    const size_t eq = line.find('=');
    const bool variable = eq != std::string::npos && eq > 0 &&
                          std::all_of(line.begin(), line.begin() + static_cast<long>(eq),
                                      [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
    lines.push_back(variable ? "export " + line : line);
  };
  for (const json& plugin : json_array(report, "plugins")) {
    if (json_string(plugin, "state") == "ready" || is_duplicate_copy(plugin)) continue;
    const std::string name = json_string(plugin, "name");
    bool any = false;
    for (const json& dep : json_array(plugin, "dependencies")) {
      const std::string cause = json_string(dep, "cause", "none");
      if (cause == "none" || cause.empty() || !json_bool(dep, "required", true)) continue;
      any = true;
      add(name + ": " + json_string(dep, "name") + " " + json_string(dep, "soname") + " (" + cause + ")",
          json_string(dep, "remedy"));
    }
    if (!any) add(name + ": " + json_string(plugin, "cause", "unavailable"), failure_remedy(plugin));
  }
  if (lines.empty()) lines.push_back("# nothing to fix: every plugin found is ready");
  return lines;
}

}  // namespace bp::cli
