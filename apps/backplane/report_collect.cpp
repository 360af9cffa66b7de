// report_collect.cpp — see report_collect.hpp.
#include "report_collect.hpp"

#include <stdexcept>

#include "cli_common.hpp"
#include "plugin_scan.hpp"

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

runtime_options_holder::runtime_options_holder(const runtime_request& request) {
  for (const std::string& path : request.plugin_paths) paths_.push_back(path.c_str());
  bp_runtime_options_init(&options_);
  options_.plugin_paths = paths_.empty() ? nullptr : paths_.data();
  options_.num_plugin_paths = static_cast<uint32_t>(paths_.size());
  options_.backends = request.backends.empty() ? nullptr : request.backends.c_str();
  options_.explicit_paths_only = request.explicit_paths_only ? 1 : 0;
}

nlohmann::json core_selection(const runtime_request& request, const nlohmann::json& report) {
  runtime_options_holder holder(request);  // fallback DEFAULT: the policy a host would get
  const std::string text = report.dump();
  uint64_t needed = 0;
  if (bp_select_report_json(&holder.options(), text.c_str(), nullptr, 0, &needed) != BP_OK)
    throw configuration_error(bp_last_error_message());
  std::string selected(needed, '\0');
  if (bp_select_report_json(&holder.options(), text.c_str(), selected.data(), selected.size(), &needed) != BP_OK)
    throw configuration_error(bp_last_error_message());
  selected.resize(needed ? needed - 1 : 0);
  nlohmann::json parsed = nlohmann::json::parse(selected, nullptr, false);
  if (!parsed.is_object()) throw std::runtime_error("bp_select_report_json returned invalid JSON");
  return parsed;
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
  runtime_options_holder holder(request);
  bp_runtime_options options = holder.options();
  options.fallback = BP_FALLBACK_ALLOW;  // a fallback still yields a runtime and a report; nothing printed

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
  // The policy a host would get (not the forced "allow"), and the selection
  // decided by the core's one engine, as for an isolated report.
  if (!out.configuration_error && out.report.contains("plugins")) {
    nlohmann::json runtime_error = out.report.value("runtime_error", nlohmann::json());
    out.report = core_selection(request, out.report);
    if (!runtime_error.is_null()) out.report["runtime_error"] = runtime_error;
  }
  return out;
}

}  // namespace bp::cli
