// probe.hpp — loads and checks every vendor dependency and turns the results
// into the plugin's verdict (READY / NO_DEVICE / UNAVAILABLE) with a remedy.
#pragma once

#include <string>

#include "backplane/abi.h"
#include "vendor.hpp"

namespace bp::cudnn {

struct probe_verdict {
  bp_plugin_state state = BP_STATE_UNAVAILABLE;
  bp_cause cause = BP_CAUSE_NONE;
  uint32_t device_count = 0;
  std::string message, remedy;
};

// Loads the libraries (again only when a previous load failed or the options
// changed), runs cuInit and counts devices. No device memory is touched.
// Caller holds vendor().mutex.
void load_vendor_libraries(const bp_host_api* host);

// The verdict over vendor().deps and vendor().devices.
probe_verdict current_verdict();

// Sends every dependency report and the verdict to the host.
void report_to_host(const bp_host_api* host, const probe_verdict& verdict);

}  // namespace bp::cudnn
