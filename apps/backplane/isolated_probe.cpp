// isolated_probe.cpp — see isolated_probe.hpp.
#include "isolated_probe.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <sstream>

#include "backplane/abi.h"
#include "cli_common.hpp"
#include "report_merge.hpp"

namespace bp::cli {

namespace {

// A do-nothing host table, only for reading the plugin's identity before the
// core loads it (the entry symbol must not allocate or probe; see abi.h).
void identity_log(void*, bp_log_level, const char*) {}
void identity_set_error(void*, bp_status, const char*) {}
void identity_report_probe(void*, const bp_probe_result*) {}
void identity_report_dependency(void*, const bp_dependency_report*) {}
const char* identity_get_option(void*, const char*) { return nullptr; }

const char* device_kind_text(bp_device_kind kind) {
  switch (kind) {
    case BP_DEVICE_KIND_CPU: return "cpu";
    case BP_DEVICE_KIND_GPU: return "gpu";
    default: return "other";
  }
}

// Runs in the child: the identity line first (so a later crash still tells
// the parent which plugin and how preferred it was), then the core's report.
int child_probe(int result_fd, const std::string& file, const runtime_request& parent_request) {
  static bp_host_api host{};
  host.struct_size = sizeof(bp_host_api);
  bp_abi_version(&host.abi_major, &host.abi_minor);
  host.negotiated_minor = host.abi_minor;
  host.log = identity_log;
  host.set_error = identity_set_error;
  host.report_probe = identity_report_probe;
  host.report_dependency = identity_report_dependency;
  host.get_option = identity_get_option;

  nlohmann::json identity_line;
  // Kept open on purpose: the core's load below then reuses this handle.
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    identity_line = {{"identity", nullptr}, {"load_error", why ? why : "dlopen failed"}};
  } else if (auto entry = reinterpret_cast<bp_plugin_entry_fn>(::dlsym(handle, BP_PLUGIN_ENTRY_SYMBOL))) {
    const bp_plugin_api* api = entry(&host);
    if (api != nullptr && api->struct_size >= offsetof(bp_plugin_api, probe)) {
      identity_line = {{"identity",
                        {{"name", api->name ? api->name : ""},
                         {"version", api->version ? api->version : ""},
                         {"priority", api->priority},
                         {"device_kind", device_kind_text(api->device_kind)},
                         {"abi", {{"major", api->abi_major}, {"minor", api->abi_minor}}}}}};
    } else {
      identity_line = {{"identity", nullptr}, {"load_error", "the entry symbol returned no usable table"}};
    }
  } else {
    identity_line = {{"identity", nullptr}, {"load_error", std::string("no ") + BP_PLUGIN_ENTRY_SYMBOL + " symbol"}};
  }
  if (!write_all(result_fd, identity_line.dump() + "\n")) return 71;

  // Only this file: no BACKPLANE_PLUGIN_PATH folders, no build/install folders.
  ::unsetenv("BACKPLANE_PLUGIN_PATH");
  runtime_request request = parent_request;
  request.plugin_paths = {file};
  request.explicit_paths_only = true;
  request.skip_destroy = true;
  const collected_report collected = collect_report_in_process(request);
  nlohmann::json report_line = {
      {"report", collected.report}, {"created", collected.runtime_created}, {"error", collected.error}};
  if (!write_all(result_fd, report_line.dump() + "\n")) return 71;
  return 0;
}

}  // namespace

isolated_result probe_file_isolated(const std::string& file, const runtime_request& request,
                                    const isolation_settings& settings) {
  isolated_result result;
  result.file = file;
  result.outcome = run_in_child([&](int result_fd) { return child_probe(result_fd, file, request); },
                                settings.timeout_seconds);
  std::istringstream lines(result.outcome.result);
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json message = nlohmann::json::parse(line, nullptr, false);
    if (!message.is_object()) continue;  // a torn last line from a killed child
    if (message.contains("identity")) {
      result.identity = message["identity"];
      if (message.contains("load_error")) result.identity = {{"load_error", message["load_error"]}};
    }
    if (message.contains("report")) result.report = message["report"];
  }
  return result;
}

nlohmann::json isolated_report(const runtime_request& request, const isolation_settings& settings) {
  const plugin_scan scan = scan_plugin_files(request);
  std::vector<isolated_result> results;
  for (const std::string& file : scan.to_probe) results.push_back(probe_file_isolated(file, request, settings));
  return merge_isolated_results(scan, results, request, settings);
}

nlohmann::json gather_report(const runtime_request& request, bool isolate, double timeout_seconds) {
  if (isolate) {
    isolation_settings settings;
    settings.timeout_seconds = timeout_seconds;
    return isolated_report(request, settings);
  }
  collected_report collected = collect_report_in_process(request);
  if (collected.configuration_error) throw configuration_error(collected.error);
  nlohmann::json report = std::move(collected.report);
  report["isolation"] = {{"enabled", false}};
  return report;
}

}  // namespace bp::cli
