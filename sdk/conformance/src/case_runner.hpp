// case_runner.hpp — one op case through the core's runtime API: a runtime over
// one plugin file, the case's tensors (placed `offset` elements into host
// memory the runtime imports, where its device reads host memory), a run,
// and the comparison with a reference result. Used by the grad, perf and
// support modes (modes.cpp).
#pragma once

#include <string>
#include <vector>

#include "backplane/conformance/conformance.hpp"
#include "backplane/runtime.h"
#include "op_cases.hpp"

namespace bp::conformance::detail {

struct kit_runtime {
  bp_runtime_t rt = nullptr;
  std::string error;
  kit_runtime() = default;
  kit_runtime(const kit_runtime&) = delete;
  kit_runtime& operator=(const kit_runtime&) = delete;
  ~kit_runtime() { bp_runtime_destroy(rt); }
  explicit operator bool() const { return rt != nullptr; }
};

// A runtime over `path` only (every discovered plugin when path is ""),
// selecting `backend` when given; hermetic unless opts.use_environment.
void open_kit_runtime(kit_runtime& h, const std::string& path, const std::string& backend, int32_t op_fallback,
                      const options& opts);

struct run_result {
  bp_status status = BP_ERR_INTERNAL;
  std::string message;
  std::vector<std::vector<unsigned char>> outputs;
};

// Runs case `c` on `rt` with `data` (outputs start as data.outputs).
run_result run_case_on(bp_runtime_t rt, const op_case& c, const case_data& data);

// Asks the runtime's backend whether it runs `c` itself; *reason gets its words when not.
bp_status ask_support(bp_runtime_t rt, const op_case& c, const case_data& data, std::string* reason);

// "" when `got` matches `want` within the case's tolerance (NaN in `want` = not written there).
std::string compare_outputs(const op_case& c, const std::vector<std::vector<unsigned char>>& got,
                            const std::vector<std::vector<unsigned char>>& want, double* max_error);

// Times `c` on `rt`: one warm-up run, then runs until `seconds` passed (at
// least 3), synchronised; seconds per run, or a negative value with *why set.
double time_case(bp_runtime_t rt, const op_case& c, const case_data& data, double seconds, std::string* why);

}  // namespace bp::conformance::detail
