// isolated_probe.cpp — see isolated_probe.hpp.
#include "isolated_probe.hpp"

#include <dlfcn.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <thread>

#include "backplane/abi.h"
#include "cli_common.hpp"
#include "report_merge.hpp"
#include "tool_output.hpp"

namespace bp::cli {

namespace {

using json = nlohmann::json;

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

bool send_line(int fd, const json& message) { return write_all(fd, json_text(message) + "\n"); }

// The plugin's identity through its entry symbol, after the core's file
// pre-check (a truncated file is never mapped: dlopen could fault on it).
json read_identity(const std::string& file) {
  if (bp_plugin_file_check(file.c_str()) != BP_OK)
    return {{"identity", nullptr}, {"load_error", bp_last_error_message()}};
  static bp_host_api host{};
  host.struct_size = sizeof(bp_host_api);
  bp_abi_version(&host.abi_major, &host.abi_minor);
  host.negotiated_minor = host.abi_minor;
  host.log = identity_log;
  host.set_error = identity_set_error;
  host.report_probe = identity_report_probe;
  host.report_dependency = identity_report_dependency;
  host.get_option = identity_get_option;
  // Kept open on purpose: the core's load below then reuses this handle.
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return {{"identity", nullptr}, {"load_error", why ? why : "dlopen failed"}};
  }
  auto entry = reinterpret_cast<bp_plugin_entry_fn>(::dlsym(handle, BP_PLUGIN_ENTRY_SYMBOL));
  if (!entry) return {{"identity", nullptr}, {"load_error", std::string("no ") + BP_PLUGIN_ENTRY_SYMBOL + " symbol"}};
  const bp_plugin_api* api = nullptr;
  try {
    api = entry(&host);
  } catch (const std::exception& e) {
    return {{"identity", nullptr},
            {"load_error", std::string("its entry symbol threw a C++ exception across the C ABI: ") + e.what()}};
  } catch (...) {
    return {{"identity", nullptr}, {"load_error", "its entry symbol threw a C++ exception across the C ABI"}};
  }
  if (api == nullptr || api->struct_size < offsetof(bp_plugin_api, probe))
    return {{"identity", nullptr}, {"load_error", "the entry symbol returned no usable table"}};
  return {{"identity",
           {{"name", api->name ? api->name : ""},
            {"version", api->version ? api->version : ""},
            {"priority", api->priority},
            {"device_kind", device_kind_text(api->device_kind)},
            {"abi", {{"major", api->abi_major}, {"minor", api->abi_minor}}}}}};
}

// The post-init check of a ready backend: a tensor round trip through its
// memory (allocate, host to device, device to host), ADD when the backend runs
// it itself, a synchronize; then the child stays alive `settle_seconds`, so a
// plugin or vendor thread that crashes shortly after init ends the child here.
json post_init_check(bp_runtime_t runtime, double settle_seconds) {
  const int64_t shape[1] = {4};
  const bp_dtype f32{BP_DTYPE_FLOAT, 32, 1};
  const float a[4] = {1, 2, 3, 4}, b[4] = {10, 20, 30, 40};
  float c[4] = {0, 0, 0, 0};
  bp_tensor_t ta = nullptr, tb = nullptr, tc = nullptr;
  std::string what = "tensor round trip", error;
  auto ok = [&](const char* call, bp_status status) {
    if (status == BP_OK) return true;
    error = std::string(call) + " failed (" + bp_status_name(status) + "): " + bp_last_error_message();
    return false;
  };
  bool passed = ok("bp_tensor_create", bp_tensor_create(runtime, f32, 1, shape, &ta)) &&
                ok("bp_tensor_create", bp_tensor_create(runtime, f32, 1, shape, &tb)) &&
                ok("bp_tensor_create", bp_tensor_create(runtime, f32, 1, shape, &tc)) &&
                ok("bp_tensor_write", bp_tensor_write(ta, a, sizeof a)) &&
                ok("bp_tensor_write", bp_tensor_write(tb, b, sizeof b));
  if (passed) {
    const bp_tensor_t inputs[2] = {ta, tb};
    char reason[256] = {0};
    if (bp_op_supported(runtime, BP_OP_ADD, nullptr, inputs, 2, &tc, 1, reason, sizeof reason) == BP_OK) {
      what = "ADD of two 4-element tensors";
      passed = ok("bp_op_run(ADD)", bp_op_run(runtime, BP_OP_ADD, nullptr, inputs, 2, &tc, 1)) &&
               ok("bp_tensor_read", bp_tensor_read(tc, c, sizeof c));
      for (int i = 0; passed && i < 4; ++i)
        if (c[i] != a[i] + b[i]) {
          passed = false;
          error = "ADD gave a wrong result (element " + std::to_string(i) + " is " + std::to_string(c[i]) +
                  ", expected " + std::to_string(a[i] + b[i]) + ")";
        }
    } else {
      passed = ok("bp_tensor_read", bp_tensor_read(ta, c, sizeof c));
      for (int i = 0; passed && i < 4; ++i)
        if (c[i] != a[i]) {
          passed = false;
          error = "a tensor read back differs from what was written (element " + std::to_string(i) + ")";
        }
    }
  }
  if (passed) passed = ok("bp_runtime_synchronize", bp_runtime_synchronize(runtime));
  bp_tensor_destroy(ta), bp_tensor_destroy(tb), bp_tensor_destroy(tc);
  if (passed) std::this_thread::sleep_for(std::chrono::duration<double>(settle_seconds));
  return {{"ok", passed}, {"what", what}, {"settle_s", settle_seconds}, {"error", error}};
}

// Runs in the child: the identity line first (so a later crash still tells
// the parent which plugin and how preferred it was), then the core's report,
// then the post-init check of a ready backend.
int child_probe(int result_fd, const std::string& file, const runtime_request& parent_request,
                const isolation_settings& settings) {
  if (!send_line(result_fd, read_identity(file))) return 71;

  // Only this file: no BACKPLANE_PLUGIN_PATH folders, no build/install folders.
  ::unsetenv("BACKPLANE_PLUGIN_PATH");
  runtime_request request = parent_request;
  request.plugin_paths = {file};
  request.explicit_paths_only = true;
  request.skip_destroy = true;
  bool sent = true, reported = false;
  request.while_created = [&](bp_runtime_t runtime, const json& report) {
    reported = true;
    sent = send_line(result_fd, {{"report", report}, {"created", true}, {"error", ""}}) &&
           send_line(result_fd, {{"check", post_init_check(runtime, settings.settle_seconds)}});
  };
  const collected_report collected = collect_report_in_process(request);
  if (!reported)
    sent = send_line(result_fd, {{"report", collected.report}, {"created", collected.runtime_created},
                                 {"error", collected.error}});
  return sent ? 0 : 71;
}

}  // namespace

isolated_result probe_file_isolated(const std::string& file, const runtime_request& request,
                                    const isolation_settings& settings) {
  isolated_result result;
  result.file = file;
  child_options options;
  options.timeout_seconds = settings.timeout_seconds;
  result.outcome =
      run_in_child([&](int result_fd) { return child_probe(result_fd, file, request, settings); }, options);
  std::istringstream lines(result.outcome.result);
  for (std::string line; std::getline(lines, line);) {
    json message = json::parse(line, nullptr, false);
    if (!message.is_object()) continue;  // a torn last line from a killed child
    if (message.contains("identity")) {
      result.identity = message["identity"];
      if (message.contains("load_error")) result.identity = {{"load_error", message["load_error"]}};
    }
    if (message.contains("report")) {
      result.report = message["report"];
      result.created = json_bool(message, "created");
    }
    if (message.contains("check")) result.check = message["check"];
  }
  return result;
}

nlohmann::json isolated_report(const runtime_request& request, const isolation_settings& settings) {
  const plugin_scan scan = scan_plugin_files(request);
  std::vector<isolated_result> results;
  for (const std::string& file : scan.to_probe) results.push_back(probe_file_isolated(file, request, settings));
  return merge_isolated_results(scan, results, request, settings);
}

namespace {

// Every plugin in one child, as a host application would load them; the
// plugins' output goes to stderr as it comes, the report comes back by pipe.
json in_process_report(const runtime_request& request, double timeout_seconds) {
  child_options options;
  options.timeout_seconds = timeout_seconds;
  options.capture_output = false;
  const child_outcome outcome = run_in_child(
      [&](int result_fd) {
        const collected_report collected = collect_report_in_process(request);
        const json message = {{"report", collected.report}, {"configuration_error", collected.configuration_error},
                              {"error", collected.error}};
        return send_line(result_fd, message) ? 0 : 71;
      },
      options);
  const json message = json::parse(outcome.result, nullptr, false);
  if (outcome.how == child_outcome::end::exited && outcome.exit_status == 0 && message.is_object()) {
    if (json_bool(message, "configuration_error")) throw configuration_error(json_string(message, "error"));
    return message["report"];
  }
  throw std::runtime_error("the in-process probe (--no-isolate: every plugin loaded in one process, as a host "
                           "application would) " + describe_child_end(outcome, timeout_seconds) +
                           " before it could report; a plugin or a library it loads did this; run without "
                           "--no-isolate to see which one");
}

}  // namespace

nlohmann::json gather_report(const runtime_request& request, bool isolate, double timeout_seconds) {
  if (isolate) {
    isolation_settings settings;
    settings.timeout_seconds = timeout_seconds;
    return isolated_report(request, settings);
  }
  json report = in_process_report(request, timeout_seconds);
  report["isolation"] = {{"enabled", false}};
  return report;
}

}  // namespace bp::cli
