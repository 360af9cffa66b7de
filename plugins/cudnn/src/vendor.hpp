// vendor.hpp — the process-wide state of the vendor libraries: what the
// dependency loader found, the resolved function tables, the fault plan.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "backplane/sdk/dep_loader.hpp"
#include "vendor_api.hpp"

namespace bp::cudnn {

// Index of each dependency in vendor_state::deps (also the report order).
enum dep_index { DEP_DRIVER = 0, DEP_RUNTIME = 1, DEP_CUBLAS = 2, DEP_CUDNN = 3, DEP_COUNT_ = 4 };

// Outcome of the checks that need the loaded driver (cuInit, device count).
struct device_check {
  bp_cause cause = BP_CAUSE_NONE;
  uint32_t device_count = 0;
  std::string message, remedy;
  bool fault_injected = false;
};

struct vendor_state {
  std::mutex mutex;  // serialises load_vendor_libraries()
  driver_api cu;
  cublas_api blas;
  cudnn_api dnn;
  cuda_runtime_get_version_fn cudart_get_version = nullptr;
  std::vector<bp::sdk::dep_result> deps;  // DEP_COUNT_ entries after a load
  device_check devices;
  bp::sdk::dep_fault_plan faults;
  std::string fingerprint;  // options the last load used; a change forces a reload
  bool libraries_ok = false;  // every required dependency loaded and its table resolved
  std::string mixed_sources;  // "mixed sources: ..." when cuDNN/cuBLAS come from different installations
  // Initialised plugin contexts using the tables above. While any lives, the
  // libraries are never reloaded (another runtime in the process probing with
  // other search options must not pull them from under a running one).
  int live_contexts = 0;
  int driver_version = 0;     // cuDriverGetVersion, e.g. 13000
  int runtime_version = 0;    // cudaRuntimeGetVersion or cudnnGetCudartVersion
};

vendor_state& vendor();

}  // namespace bp::cudnn
