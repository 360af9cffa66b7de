// report_collect.cpp — see report_collect.hpp.
#include "report_collect.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "cli_common.hpp"

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
  nlohmann::json env = nlohmann::json::object();
  for (const char* name : {"LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES"}) {
    const char* value = std::getenv(name);
    env[name] = value ? nlohmann::json(value) : nlohmann::json(nullptr);
  }
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "BACKPLANE_", 10) != 0) continue;
    const char* equals = std::strchr(*entry, '=');
    if (equals == nullptr) continue;
    env[std::string(*entry, static_cast<size_t>(equals - *entry))] = std::string(equals + 1);
  }
  return env;
}

collected_report collect_report_in_process(const runtime_request& request) {
  std::vector<const char*> paths;
  paths.reserve(request.plugin_paths.size());
  for (const std::string& path : request.plugin_paths) paths.push_back(path.c_str());

  bp_runtime_options options;
  bp_runtime_options_init(&options);
  options.plugin_paths = paths.empty() ? nullptr : paths.data();
  options.num_plugin_paths = static_cast<uint32_t>(paths.size());
  options.backends = request.backends.empty() ? nullptr : request.backends.c_str();
  options.fallback = BP_FALLBACK_ALLOW;
  options.explicit_paths_only = request.explicit_paths_only ? 1 : 0;

  collected_report out;
  bp_runtime_t runtime = nullptr;
  const bp_status status = bp_runtime_create(&options, &runtime);
  if (status == BP_OK) {
    out.runtime_created = true;
    try {
      out.report = nlohmann::json::parse(runtime_report_text(runtime));
    } catch (const std::exception& e) {
      bp_runtime_destroy(runtime);
      throw std::runtime_error(std::string("the core's report is not valid JSON: ") + e.what());
    }
    bp_runtime_destroy(runtime);
  } else {
    out.error = bp_last_error_message();
    out.report = report_from_failure_message(out.error);
    if (out.report.is_null()) {
      // Older core without the report in its message: keep what we know.
      out.report = nlohmann::json{{"schema_version", 1},
                                  {"backplane_version", bp_version_string()},
                                  {"plugins", nlohmann::json::array()},
                                  {"selected", nullptr},
                                  {"verdict", "nothing_usable"},
                                  {"error", {{"status", bp_status_name(status)}, {"message", out.error}}}};
    }
  }
  if (out.report.contains("policy") && out.report["policy"].is_object())
    out.report["policy"]["fallback"] = effective_fallback_policy();
  return out;
}

}  // namespace bp::cli
