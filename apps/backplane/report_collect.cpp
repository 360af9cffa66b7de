// report_collect.cpp — see report_collect.hpp.
#include "report_collect.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "cli_common.hpp"
#include "plugin_scan.hpp"

extern char** environ;

namespace bp::cli {

std::string runtime_report_text(bp_runtime_t runtime) {
  uint64_t needed = 0;
  if (bp_runtime_report_json(runtime, nullptr, 0, &needed) != BP_OK)
    throw std::runtime_error(std::string("bp_runtime_report_json: ") + bp_last_error_message());
  std::string text(needed, '\0');
  if (bp_runtime_report_json(runtime, text.data(), text.size(), &needed) != BP_OK)
    throw std::runtime_error(std::string("bp_runtime_report_json: ") + bp_last_error_message());
  text.resize(needed ? needed - 1 : 0);
  return text;
}

nlohmann::json report_from_failure_message(const std::string& message) {
  // The report is the first '{' ... matching last '}' that parses as an
  // object with a schema_version; anything around it is prose.
  for (size_t open = message.find('{'); open != std::string::npos; open = message.find('{', open + 1)) {
    const size_t close = message.rfind('}');
    if (close == std::string::npos || close < open) break;
    nlohmann::json parsed = nlohmann::json::parse(message.substr(open, close - open + 1), nullptr, false);
    if (parsed.is_object() && parsed.contains("schema_version")) return parsed;
  }
  return nullptr;
}

std::string effective_fallback_policy() {
  const char* value = std::getenv("BACKPLANE_FALLBACK");
  if (value == nullptr || value[0] == '\0') return "warn";
  std::string policy(value);
  if (policy == "allow" || policy == "warn" || policy == "error") return policy;
  return "warn";  // the core rejects/ignores unknown values; doctor shows the raw value in "environment"
}

nlohmann::json environment_snapshot() {
  // The same variables the core's report lists (set ones only).
  nlohmann::json env = nlohmann::json::object();
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals == nullptr) continue;
    const std::string name(*entry, static_cast<size_t>(equals - *entry));
    if (name.rfind("BACKPLANE_", 0) == 0 || name == "LD_LIBRARY_PATH" || name == "CUDA_VISIBLE_DEVICES" ||
        name == "LD_PRELOAD" || name == "CUDA_PATH" || name == "CUDA_HOME")
      env[name] = std::string(equals + 1);
  }
  return env;
}

namespace {

constexpr const char* kAnchorName = "doctor-anchor";

struct creation {
  bp_status status = BP_OK;
  std::string error;
  nlohmann::json report;
};

creation create_and_report(const runtime_request& request, const std::vector<std::string>& extra_paths,
                           const std::string& backends) {
  std::vector<const char*> paths;
  for (const std::string& path : request.plugin_paths) paths.push_back(path.c_str());
  for (const std::string& path : extra_paths) paths.push_back(path.c_str());

  bp_runtime_options options;
  bp_runtime_options_init(&options);
  options.plugin_paths = paths.empty() ? nullptr : paths.data();
  options.num_plugin_paths = static_cast<uint32_t>(paths.size());
  options.backends = backends.empty() ? nullptr : backends.c_str();
  options.fallback = BP_FALLBACK_ALLOW;
  options.explicit_paths_only = request.explicit_paths_only ? 1 : 0;

  creation out;
  bp_runtime_t runtime = nullptr;
  out.status = bp_runtime_create(&options, &runtime);
  if (out.status != BP_OK) {
    out.error = bp_last_error_message();
    return out;
  }
  try {
    out.report = nlohmann::json::parse(runtime_report_text(runtime));
  } catch (const std::exception& e) {
    if (!request.skip_destroy) bp_runtime_destroy(runtime);
    throw std::runtime_error(std::string("the core's report is not valid JSON: ") + e.what());
  }
  if (!request.skip_destroy) bp_runtime_destroy(runtime);
  return out;
}

template <typename Predicate>
void erase_if(nlohmann::json& array, Predicate predicate) {
  if (!array.is_array()) return;
  nlohmann::json kept = nlohmann::json::array();
  for (auto& item : array)
    if (!predicate(item)) kept.push_back(std::move(item));
  array = std::move(kept);
}

// Removes every trace of the anchor: the report then reads as the failed creation's would.
void strip_anchor(nlohmann::json& report, const std::string& anchor_file) {
  auto is_anchor = [&](const nlohmann::json& item) {
    return json_string(item, "name") == kAnchorName || json_string(item, "path") == anchor_file;
  };
  erase_if(report["plugins"], is_anchor);
  for (auto& plugin : report["plugins"]) {  // e.g. "no plugin named 'x' was found in: <anchor>, ..."
    std::string message = json_string(plugin, "message");
    for (const std::string& needle : {anchor_file + ", ", ", " + anchor_file, anchor_file}) {
      for (size_t at = message.find(needle); at != std::string::npos; at = message.find(needle))
        message.erase(at, needle.size());
    }
    if (plugin.contains("message")) plugin["message"] = message;
  }
  erase_if(report["discovery"]["search_paths"], is_anchor);
  erase_if(report["discovery"]["candidates"], is_anchor);
  if (report.contains("policy") && report["policy"].is_object())
    erase_if(report["policy"]["backends"], [](const nlohmann::json& name) { return name == kAnchorName; });
  if (json_string(report, "preferred") == kAnchorName) report["preferred"] = nullptr;
  report["selected"] = nullptr;
  report["events"] = nlohmann::json::array();  // creation fails before any event is raised
  report["verdict"] = "nothing_usable";
}

}  // namespace

std::string anchor_plugin_file() {
  const std::string plugins = install_plugin_folder();  // <core dir>/backplane/plugins
  if (plugins.empty()) return {};
  return plugins.substr(0, plugins.size() - std::string("plugins").size()) + "tool/libbackplane-doctor-anchor.so";
}

collected_report collect_report_in_process(const runtime_request& request) {
  collected_report out;
  creation first = create_and_report(request, {}, request.backends);
  out.status = first.status;
  out.error = first.error;
  out.runtime_created = first.status == BP_OK;
  if (first.status == BP_OK) {
    out.report = std::move(first.report);
  } else if (first.status != BP_ERR_UNAVAILABLE) {
    out.configuration_error = true;
    out.report = {{"schema_version", 1}, {"plugins", nlohmann::json::array()}, {"verdict", "error"},
                  {"runtime_error", {{"status", bp_status_name(first.status)}, {"message", first.error}}}};
  } else if (nlohmann::json embedded = report_from_failure_message(first.error); !embedded.is_null()) {
    out.report = std::move(embedded);
  } else {
    // Nothing usable: read the report through the anchor (see the header).
    const std::string anchor = anchor_plugin_file();
    std::string backends = request.backends;
    bool backends_from_env = false;
    if (backends.empty()) {
      const char* env = std::getenv("BACKPLANE_BACKEND");
      if (env && env[0] && std::string(env) != "auto") backends = env, backends_from_env = true;
    }
    if (!backends.empty()) backends += std::string(",") + kAnchorName;
    creation second = anchor.empty() ? creation{BP_ERR_NOT_FOUND, "core library folder unknown", nullptr}
                                     : create_and_report(request, {anchor}, backends);
    if (second.status == BP_OK) {
      out.report = std::move(second.report);
      strip_anchor(out.report, anchor);
      if (backends_from_env && out.report["policy"].is_object()) out.report["policy"]["backends_origin"] = "BACKPLANE_BACKEND";
    } else {
      out.report = {{"schema_version", 1},
                    {"backplane_version", bp_version_string()},
                    {"plugins", nlohmann::json::array()},
                    {"selected", nullptr},
                    {"verdict", "nothing_usable"},
                    {"report_unavailable", "the core gave no structured report and the doctor anchor (" + anchor +
                                               ") could not be used: " + second.error}};
    }
    out.report["runtime_error"] = {{"status", bp_status_name(first.status)}, {"message", first.error}};
  }
  if (out.report.contains("policy") && out.report["policy"].is_object()) {
    out.report["policy"]["fallback"] = effective_fallback_policy();
    const char* env = std::getenv("BACKPLANE_FALLBACK");
    out.report["policy"]["fallback_origin"] = (env && env[0]) ? "BACKPLANE_FALLBACK" : "default";
  }
  return out;
}

}  // namespace bp::cli
