// op_cases.hpp — the conformance problem set: one op_case per (op kind,
// shape, attributes), read from the kit's case files (sdk/conformance/cases,
// see case_file.hpp), plus the host data each case runs on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backplane/abi.h"

namespace bp::conformance::detail {

// How a tensor's initial contents are drawn.
enum class fill {
  uniform,      // U(-1, 1)
  positive,     // U(0.05, 1): Adam's v, anything under a sqrt
  relu_out,     // max(0, U(-1, 1)): a ReLU forward output
  sigmoid_out,  // U(0.05, 0.95)
  tanh_out,     // U(-0.95, 0.95)
  prob_rows,    // rows of a softmax output (positive, each row sums to 1)
  logprob_rows, // log of prob_rows
  labels,       // int32 in [0, classes)
  poison,       // NaN: a pure output the op must overwrite
  pool_output   // the POOL2D_FWD output of input 0 (computed on the reference)
};

struct tensor_spec {
  std::vector<int64_t> shape;
  bp_dtype dtype;
  fill init;
  int64_t offset = 0;  // elements before the tensor's first one: a non-zero byte_offset where the memory allows
};

struct op_case {
  std::string label;                 // "GEMM m=7 k=5 n=3 trans_b"
  bp_op_kind kind = BP_OP_INVALID;
  std::vector<unsigned char> attrs;  // the attribute struct's bytes; empty = NULL attrs
  std::vector<tensor_spec> inputs, outputs;
  double atol = 1e-6, rtol = 1e-5;   // |got - want| <= atol + rtol * |want|
  int32_t classes = 0;               // for fill::labels
  std::vector<std::string> suites{"test"};  // test, grad (a forward op checked against its backward ops), perf, peak

  bool in_suite(const std::string& s) const {
    for (const std::string& x : suites)
      if (x == s) return true;
    return false;
  }

  const void* attrs_ptr() const { return attrs.empty() ? nullptr : attrs.data(); }
};

// Every case of the kit's own files in suite "test", grouped by op kind
// (ascending), file order kept within a kind.
std::vector<op_case> all_cases();

// True when `kind` is selected by `filters` (empty selects every kind): a filter
// names an op kind (CONV2D_FWD) or a prefix of one ending at '_' (CONV2D), any case.
bool op_selected(bp_op_kind kind, const std::vector<std::string>& filters);
// Throws std::invalid_argument naming a filter that selects no op kind.
void check_op_filters(const std::vector<std::string>& filters);

// The cases of `suite` from the kit's files and the extra file (when given),
// restricted to the op kinds `ops` selects, grouped by op kind. Throws
// std::runtime_error for a file that cannot be read or parsed.
std::vector<op_case> load_cases(const std::string& suite, const std::vector<std::string>& ops, const std::string& extra_file);

// Bytes of each tensor of a case (4-byte elements: float32 or int32).
struct case_data {
  std::vector<std::vector<unsigned char>> inputs, outputs;
};
// Deterministic in (seed, case_index). fill::pool_output inputs are left
// poisoned for the caller to compute.
case_data make_case_data(const op_case& c, uint64_t seed, uint64_t case_index);

int64_t element_count(const std::vector<int64_t>& shape);

}  // namespace bp::conformance::detail
