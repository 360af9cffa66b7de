// Test harness: loads the built openblas-cpu plugin file with dlopen, hands
// it the fake host table of tests/framework, and wraps its memory and ops for the tests.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backplane/abi.h"
#include "fake_host.hpp"
#include "reference.hpp"

namespace harness {

// The loaded plugin (once per process), initialised.
struct plugin {
  const bp_plugin_api* api = nullptr;
  void* context = nullptr;
  bp_test::fake_host host;  // tests/framework: what the plugin reported, get_option answers
};
plugin& get();

// Last message the plugin passed to set_error on this thread.
const std::string& last_error();

// A tensor allocated through the plugin's mem_alloc; float32 unless told.
class tensor {
 public:
  explicit tensor(std::vector<int64_t> shape, bp_dtype dtype = bp_dtype{BP_DTYPE_FLOAT, 32, 1});
  ~tensor();
  tensor(const tensor&) = delete;
  tensor& operator=(const tensor&) = delete;

  bp_tensor desc() const;
  int64_t size() const;
  float* f() const { return static_cast<float*>(data_); }
  int32_t* i() const { return static_cast<int32_t*>(data_); }
  void set(const ref::vec& values);
  void set_labels(const std::vector<int32_t>& labels);
  ref::vec get() const;
  void fill_nan();
  const std::vector<int64_t>& shape() const { return shape_; }

 private:
  std::vector<int64_t> shape_;
  bp_dtype dtype_;
  void* data_ = nullptr;
};

// Runs one op; returns the status (message in last_error()).
bp_status run(bp_op_kind kind, const void* attrs, const std::vector<bp_tensor>& inputs,
              const std::vector<bp_tensor>& outputs);
// Asks op_supports; reason receives the plugin's text.
bp_status supports(bp_op_kind kind, const void* attrs, const std::vector<bp_tensor>& inputs,
                   const std::vector<bp_tensor>& outputs, std::string* reason);

ref::vec random_vec(size_t n, std::mt19937& rng, double lo = -1.0, double hi = 1.0);

// Largest |a-e| / (atol + rtol*|e|); <= 1 means every element is within tolerance.
// `where` receives the first worst index.
double worst_ratio(const ref::vec& actual, const ref::vec& expected, double rtol, double atol, size_t* where = nullptr);

}  // namespace harness

// Checks two vectors element-wise with a readable failure.
#define CHECK_CLOSE_VEC(actual, expected, rtol, atol)                                                         \
  do {                                                                                                         \
    const auto& a_ = (actual);                                                                                 \
    const auto& e_ = (expected);                                                                               \
    REQUIRE(a_.size() == e_.size());                                                                           \
    size_t at_ = 0;                                                                                            \
    const double r_ = harness::worst_ratio(a_, e_, (rtol), (atol), &at_);                                      \
    INFO("worst element " << at_ << ": got " << (a_.empty() ? 0.0 : a_[at_]) << " expected "                  \
                          << (e_.empty() ? 0.0 : e_[at_]) << " (ratio to tolerance " << r_ << ")");           \
    CHECK(r_ <= 1.0);                                                                                          \
  } while (0)
