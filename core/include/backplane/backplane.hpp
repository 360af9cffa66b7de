// backplane/backplane.hpp — thin header-only C++ RAII layer over backplane/runtime.h.
// Errors become bp::error exceptions carrying the ABI status and message.
// Nothing here crosses the plugin ABI; it is compiled into the host app.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backplane/op_attrs.h"
#include "backplane/runtime.h"

namespace bp {

class error : public std::runtime_error {
 public:
  error(bp_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  bp_status status() const noexcept { return status_; }

 private:
  bp_status status_;
};

// Throws bp::error with the thread's last message when status is not BP_OK.
inline void check(bp_status status) {
  if (status != BP_OK) throw error(status, bp_last_error_message());
}

inline constexpr bp_dtype f32{BP_DTYPE_FLOAT, 32, 1};
inline constexpr bp_dtype i32{BP_DTYPE_INT, 32, 1};

template <typename T>
T init_struct() {
  T value{};
  value.struct_size = sizeof(T);
  return value;
}

// The neutral defaults of an op attribute struct (the C functions of op_attrs.h):
//   auto conv = bp::default_attrs<bp_conv2d_attrs>();  // NHWC, stride 1, dilation 1, VALID
//   conv.padding = BP_PADDING_SAME;
// Prefer this to init_struct<T>(), whose zeros (stride 0, dilation 0) are refused.
template <typename T>
T default_attrs();
#define BP_DEFAULT_ATTRS_(type)    \
  template <>                      \
  inline type default_attrs<type>() { \
    type a;                        \
    type##_init(&a);               \
    return a;                      \
  }
BP_DEFAULT_ATTRS_(bp_conv2d_attrs)
BP_DEFAULT_ATTRS_(bp_layout_attrs)
BP_DEFAULT_ATTRS_(bp_activation_attrs)
BP_DEFAULT_ATTRS_(bp_pool2d_attrs)
BP_DEFAULT_ATTRS_(bp_gemm_attrs)
BP_DEFAULT_ATTRS_(bp_softmax_attrs)
BP_DEFAULT_ATTRS_(bp_xent_attrs)
BP_DEFAULT_ATTRS_(bp_adam_attrs)
BP_DEFAULT_ATTRS_(bp_sgd_attrs)
BP_DEFAULT_ATTRS_(bp_scalar_attrs)
BP_DEFAULT_ATTRS_(bp_reduce_attrs)
#undef BP_DEFAULT_ATTRS_

class runtime;

// An owning tensor on a runtime's device. Move-only.
class tensor {
 public:
  tensor() = default;
  tensor(const runtime& rt, bp_dtype dtype, std::vector<int64_t> shape);
  // Take ownership of a handle from the C API (e.g. bp_tensor_import).
  explicit tensor(bp_tensor_t adopt) noexcept : handle_(adopt) {}
  // Give up ownership: the caller must bp_tensor_destroy() the handle.
  bp_tensor_t release() noexcept { return std::exchange(handle_, nullptr); }
  tensor(tensor&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  tensor& operator=(tensor&& other) noexcept {
    if (this != &other) {
      bp_tensor_destroy(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  tensor(const tensor&) = delete;
  tensor& operator=(const tensor&) = delete;
  ~tensor() { bp_tensor_destroy(handle_); }

  bp_tensor_t get() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != nullptr; }
  const bp_tensor& view() const { return *bp_tensor_view(handle_); }
  std::vector<int64_t> shape() const {
    const bp_tensor& v = view();
    return std::vector<int64_t>(v.shape, v.shape + v.ndim);
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape()) n *= d;
    return n;
  }
  uint64_t nbytes() const { return bp_tensor_nbytes(handle_); }
  // Same data, new shape (element count unchanged).
  void reshape(const std::vector<int64_t>& shape) {
    check(bp_tensor_reshape(handle_, static_cast<int32_t>(shape.size()), shape.data()));
  }

  template <typename T>
  void write(const std::vector<T>& host) {
    check(bp_tensor_write(handle_, host.data(), host.size() * sizeof(T)));
  }
  template <typename T>
  void write(const T* host, size_t count) {
    check(bp_tensor_write(handle_, host, count * sizeof(T)));
  }
  template <typename T>
  std::vector<T> read() const {
    std::vector<T> host(nbytes() / sizeof(T));
    check(bp_tensor_read(handle_, host.data(), host.size() * sizeof(T)));
    return host;
  }

 private:
  bp_tensor_t handle_ = nullptr;
};

// A selected backend. Move-only.
class runtime {
 public:
  // Discover and select with environment-driven defaults.
  runtime() { check(bp_runtime_create(nullptr, &handle_)); }
  explicit runtime(const bp_runtime_options& options) { check(bp_runtime_create(&options, &handle_)); }
  runtime(runtime&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  runtime& operator=(runtime&& other) noexcept {
    if (this != &other) {
      bp_runtime_destroy(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;
  ~runtime() { bp_runtime_destroy(handle_); }

  // Options preset for a specific backend list ("cudnn,openblas-cpu").
  static bp_runtime_options options() {
    bp_runtime_options o;
    bp_runtime_options_init(&o);
    return o;
  }

  bp_runtime_t get() const noexcept { return handle_; }
  std::string backend() const { return bp_runtime_backend(handle_); }
  bp_device_props device() const {
    auto props = init_struct<bp_device_props>();
    check(bp_runtime_device_props(handle_, &props));
    return props;
  }
  void synchronize() const { check(bp_runtime_synchronize(handle_)); }
  std::string report_json() const {
    // The report can grow between the size query and the copy when other
    // threads run ops (placement counters, events): retry with the new size.
    uint64_t needed = 0;
    check(bp_runtime_report_json(handle_, nullptr, 0, &needed));
    for (int attempt = 0;; ++attempt) {
      std::string text(needed + 256, '\0');
      bp_status s = bp_runtime_report_json(handle_, text.data(), text.size(), &needed);
      if (s == BP_OK) {
        text.resize(needed ? needed - 1 : 0);
        return text;
      }
      if (s != BP_ERR_INVALID_ARGUMENT || attempt == 8) check(s);
    }
  }
  std::vector<bp_plugin_info> plugins() const {
    std::vector<bp_plugin_info> out;
    for (uint32_t i = 0, n = bp_runtime_plugin_count(handle_); i < n; ++i) {
      auto info = init_struct<bp_plugin_info>();
      check(bp_runtime_plugin_info(handle_, i, &info));
      out.push_back(info);
    }
    return out;
  }
  std::vector<bp_event> events() const {
    std::vector<bp_event> out;
    for (uint32_t i = 0, n = bp_runtime_event_count(handle_); i < n; ++i) {
      auto ev = init_struct<bp_event>();
      check(bp_runtime_event(handle_, i, &ev));
      out.push_back(ev);
    }
    return out;
  }
  bp_placement_stats placement() const {
    auto stats = init_struct<bp_placement_stats>();
    check(bp_runtime_placement(handle_, &stats));
    return stats;
  }

  tensor empty(std::vector<int64_t> shape, bp_dtype dtype = f32) const { return tensor(*this, dtype, std::move(shape)); }

  // Run one op; attrs is the op's attribute struct or nullptr.
  void run(bp_op_kind kind, const void* attrs, std::initializer_list<const tensor*> inputs,
           std::initializer_list<const tensor*> outputs) const {
    bp_tensor_t in[8], out[8];
    uint32_t ni = 0, no = 0;
    for (const tensor* t : inputs) {
      if (ni == 8) throw error(BP_ERR_INVALID_ARGUMENT, "too many inputs");
      in[ni++] = t ? t->get() : nullptr;
    }
    for (const tensor* t : outputs) {
      if (no == 8) throw error(BP_ERR_INVALID_ARGUMENT, "too many outputs");
      out[no++] = t ? t->get() : nullptr;
    }
    check(bp_op_run(handle_, kind, attrs, in, ni, out, no));
  }
  bool supports(bp_op_kind kind, const void* attrs, std::initializer_list<const tensor*> inputs,
                std::initializer_list<const tensor*> outputs, std::string* reason = nullptr) const {
    bp_tensor_t in[8], out[8];
    uint32_t ni = 0, no = 0;
    for (const tensor* t : inputs)
      if (ni < 8) in[ni++] = t ? t->get() : nullptr;
    for (const tensor* t : outputs)
      if (no < 8) out[no++] = t ? t->get() : nullptr;
    char buf[512] = {0};
    bp_status s = bp_op_supported(handle_, kind, attrs, in, ni, out, no, buf, sizeof buf);
    if (reason) *reason = buf;
    return s == BP_OK;
  }

 private:
  bp_runtime_t handle_ = nullptr;
};

inline tensor::tensor(const runtime& rt, bp_dtype dtype, std::vector<int64_t> shape) {
  check(bp_tensor_create(rt.get(), dtype, static_cast<int32_t>(shape.size()), shape.data(), &handle_));
}

}  // namespace bp
