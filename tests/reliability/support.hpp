// support.hpp — helpers shared by the reliability tests: hermetic runtime
// options for the bundled plugins, process resource probes (RSS, open fds),
// and a raw plugin loader (dlopen + a small fake host table) for testing a
// plugin's function table without the core in between.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "backplane/backplane.hpp"
#include "fake_host.hpp"
#include "hermetic_options.hpp"

namespace rel {

// Absolute paths of the plugin files this build produced ("" when not built).
std::string openblas_plugin_path();
std::string cudnn_plugin_path();
// Folder of one fake plugin variant from tests/core (e.g. "cpu", "gpu"); "" when not built.
std::string fake_plugin_dir(const std::string& variant);

// Options that see only `paths`, ignore the environment and allow fallback silently.
using hermetic_options = bp_test::hermetic_options;  // tests/framework

// True when `text` contains `needle`; on failure doctest prints both.
#define REL_CHECK_MSG(needle)                                                                 \
  do {                                                                                        \
    const std::string rel_msg_ = bp_last_error_message();                                     \
    INFO("last error message: ", rel_msg_);                                                   \
    CHECK_MESSAGE(rel_msg_.find(needle) != std::string::npos, "expected substring: ", needle); \
  } while (0)

// Status and message substring of the call just made.
#define REL_CHECK_FAIL(call, status, needle) \
  do {                                       \
    CHECK((call) == (status));               \
    REL_CHECK_MSG(needle);                   \
  } while (0)

// ---- process resources ---------------------------------------------------------

// Resident set size in KiB (from /proc/self/statm).
long rss_kib();
// Number of open file descriptors (entries of /proc/self/fd).
int open_fds();
// True when running under a sanitizer or valgrind (timing and RSS figures differ).
bool under_valgrind();

// ---- raw plugin tables ------------------------------------------------------------

// What the fake host recorded from the plugin.

// A plugin file opened with dlopen, its table fetched with the fake host table of tests/framework.
class raw_plugin {
 public:
  explicit raw_plugin(const std::string& path);
  ~raw_plugin();
  raw_plugin(const raw_plugin&) = delete;
  raw_plugin& operator=(const raw_plugin&) = delete;

  bool loaded() const { return api_ != nullptr; }
  const std::string& load_error() const { return load_error_; }
  const bp_plugin_api& api() const { return *api_; }
  const bp_host_api* host() const { return host_.api(); }
  bp_test::fake_host& state() { return host_; }
  // The message the plugin attached to its last failing call ("" if none), then cleared.
  std::string take_error();

 private:
  void* handle_ = nullptr;
  const bp_plugin_api* api_ = nullptr;
  std::string load_error_;
  bp_test::fake_host host_;
};

// A bp_tensor view with owned shape/stride storage.
struct view {
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  bp_tensor t{};
  view(void* data, std::vector<int64_t> dims, bp_dtype dtype = bp::f32, int32_t device_type = BP_DEVICE_CPU);
  view(const view& other);
  view& operator=(const view&) = delete;
  void set_strides(std::vector<int64_t> s);
};

// Descriptor over `ins`/`outs` (copies of the views' bp_tensor).
struct desc {
  std::vector<bp_tensor> ins, outs;
  bp_op_desc d{};
  desc(bp_op_kind kind, const void* attrs, const std::vector<const view*>& inputs,
       const std::vector<const view*>& outputs);
};

}  // namespace rel
