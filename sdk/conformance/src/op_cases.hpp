// op_cases.hpp — the conformance problem set: one op_case per (op kind,
// shape, attributes), covering odd sizes, stride 2, SAME/VALID padding,
// batch 1 and both layouts, plus the host data each case runs on.
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
};

struct op_case {
  std::string label;                 // "GEMM m=7 k=5 n=3 trans_b"
  bp_op_kind kind = BP_OP_INVALID;
  std::vector<unsigned char> attrs;  // the attribute struct's bytes; empty = NULL attrs
  std::vector<tensor_spec> inputs, outputs;
  double atol = 1e-6, rtol = 1e-5;   // |got - want| <= atol + rtol * |want|
  int32_t classes = 0;               // for fill::labels

  const void* attrs_ptr() const { return attrs.empty() ? nullptr : attrs.data(); }
};

// Every case, grouped by op kind (ascending), problem order kept within a kind.
std::vector<op_case> all_cases();

// Bytes of each tensor of a case (4-byte elements: float32 or int32).
struct case_data {
  std::vector<std::vector<unsigned char>> inputs, outputs;
};
// Deterministic in (seed, case_index). fill::pool_output inputs are left
// poisoned for the caller to compute.
case_data make_case_data(const op_case& c, uint64_t seed, uint64_t case_index);

int64_t element_count(const std::vector<int64_t>& shape);

}  // namespace bp::conformance::detail
