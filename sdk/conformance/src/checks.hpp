// checks.hpp — the check groups of the conformance kit (internal).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backplane/conformance/conformance.hpp"
#include "op_cases.hpp"

namespace bp::conformance::detail {

using results = std::vector<check_result>;

void add_result(results& out, std::string name, bool ok, std::string detail);
void add_skip(results& out, std::string name, std::string detail);

// Runs `body` in a child process (when isolate), killed after timeout_seconds; its results
// stream back over a pipe, and a crash or hang becomes a FAIL named
// "<group>.no_crash" / "<group>.no_hang".
void isolated(const std::string& group, bool isolate, int timeout_seconds, results& out, const std::function<void(results&)>& body);

// The runtime checks report which reference they used through this pseudo
// check (detail "name\tpath"); backplane_conformance_run moves it into the report.
inline const char* const kReferenceNote = "_reference";

// What the raw-table checks learned about the plugin.
struct plugin_facts {
  bool loaded = false;      // entry symbol returned a usable table
  std::string name;         // table name
  int32_t device_kind = -1;
  int32_t memory_device_type = 0;  // bp_device.device_type of device 0 (0 = unknown)
};

// abi.* and errors.*: the plugin's raw table with host tables this kit builds.
// With isolate, each group runs in a child process (a crash becomes a FAIL).
void run_raw_checks(const std::string& plugin_path, bool isolate, bool use_environment, results& out,
                    plugin_facts& facts);

// Promises that ordinary runs hide (contract_checks.cpp), on the raw table with a live context;
// each returns "" or the problem. alignment: mem_alloc results are 64-byte aligned. bounds: `op`
// (a case the plugin claims) run with every tensor at byte_offset 64 between guard bytes gives
// the results of byte_offset 0 and writes no guard byte. declines: no kit case is declined
// with BP_ERR_INTERNAL.
std::string alignment_problem(const bp_plugin_api* t, void* ctx);
std::string bounds_problem(const bp_plugin_api* t, void* ctx, const bp_op_desc& op);
std::string decline_problem(const bp_plugin_api* t, void* ctx, const bp_device& device);

// ops.*, capability.*, leaks.*, threads.*: through the core's runtime API.
void run_runtime_checks(const std::string& plugin_path, const plugin_facts& facts, const std::string& reference_path,
                        const options& opts, results& out);

}  // namespace bp::conformance::detail
