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

bool is_configuration_status(bp_status status) {
  return status != BP_OK && status != BP_ERR_UNAVAILABLE && status != BP_ERR_POLICY;
}

namespace {

struct creation {
  bp_status status = BP_OK;
  std::string error;
  nlohmann::json report;
};

creation create_and_report(const runtime_request& request) {
  std::vector<const char*> paths;
  for (const std::string& path : request.plugin_paths) paths.push_back(path.c_str());
  const std::string& backends = request.backends;

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
    // When no backend could serve, the core keeps the full report of the attempt.
    uint64_t needed = 0;
    if (bp_last_failure_report_json(nullptr, 0, &needed) == BP_OK) {
      std::string text(needed, '\0');
      if (bp_last_failure_report_json(text.data(), text.size(), &needed) == BP_OK) {
        text.resize(needed - 1);
        out.report = nlohmann::json::parse(text, nullptr, false);
      }
    }
    return out;
  }
  try {
    out.report = nlohmann::json::parse(runtime_report_text(runtime));
  } catch (const std::exception& e) {
    if (!request.skip_destroy) bp_runtime_destroy(runtime);
    throw std::runtime_error(std::string("the core's report is not valid JSON: ") + e.what());
  }
  if (request.while_created) request.while_created(runtime, out.report);
  if (!request.skip_destroy) bp_runtime_destroy(runtime);
  return out;
}

}  // namespace

collected_report collect_report_in_process(const runtime_request& request) {
  collected_report out;
  creation first = create_and_report(request);
  out.status = first.status;
  out.error = first.error;
  out.runtime_created = first.status == BP_OK;
  if (first.status == BP_OK) {
    out.report = std::move(first.report);
  } else if (is_configuration_status(first.status)) {
    out.configuration_error = true;
    out.report = {{"schema_version", 1}, {"plugins", nlohmann::json::array()}, {"verdict", "error"},
                  {"runtime_error", {{"status", bp_status_name(first.status)}, {"message", first.error}}}};
  } else if (first.report.is_object()) {
    out.report = std::move(first.report);
  } else {
    out.report = {{"schema_version", 1},
                  {"backplane_version", bp_version_string()},
                  {"plugins", nlohmann::json::array()},
                  {"selected", nullptr},
                  {"verdict", "nothing_usable"},
                  {"report_unavailable", "the core gave no structured report of the failed creation"}};
  }
  if (!out.runtime_created && !out.configuration_error) {
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
