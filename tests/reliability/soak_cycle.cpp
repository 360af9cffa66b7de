// soak_cycle.cpp — see soak_cycle.hpp. Plain C API only, so every failure
// path is visible and nothing is left to destructors.
#include "soak_cycle.hpp"

#include <vector>

namespace rel {

std::string soak_cycle(const bp_runtime_options& options, int index) {
  bp_runtime_t rt = nullptr;
  if (bp_runtime_create(&options, &rt) != BP_OK) return std::string("bp_runtime_create: ") + bp_last_error_message();
  std::string err;
  const bp_dtype f32{BP_DTYPE_FLOAT, 32, 1};
  int64_t shape[] = {4, 8};
  bp_tensor_t a = nullptr, b = nullptr, c = nullptr;
  if (bp_tensor_create(rt, f32, 2, shape, &a) != BP_OK || bp_tensor_create(rt, f32, 2, shape, &b) != BP_OK ||
      bp_tensor_create(rt, f32, 2, shape, &c) != BP_OK)
    err = std::string("bp_tensor_create: ") + bp_last_error_message();
  if (err.empty()) {
    bp_scalar_attrs fill_a{sizeof(bp_scalar_attrs), float(index)}, fill_b{sizeof(bp_scalar_attrs), 0.5f};
    bp_tensor_t ab[] = {a, b};
    if (bp_op_run(rt, BP_OP_FILL, &fill_a, nullptr, 0, &a, 1) != BP_OK ||
        bp_op_run(rt, BP_OP_FILL, &fill_b, nullptr, 0, &b, 1) != BP_OK ||
        bp_op_run(rt, BP_OP_ADD, nullptr, ab, 2, &c, 1) != BP_OK)
      err = std::string("bp_op_run: ") + bp_last_error_message();
  }
  if (err.empty()) {
    std::vector<float> host(32);
    if (bp_tensor_read(c, host.data(), host.size() * sizeof(float)) != BP_OK)
      err = std::string("bp_tensor_read: ") + bp_last_error_message();
    else if (host[31] != float(index) + 0.5f)
      err = "wrong result " + std::to_string(host[31]) + ", expected " + std::to_string(float(index) + 0.5f);
  }
  uint64_t needed = 0;
  if (err.empty() && bp_runtime_report_json(rt, nullptr, 0, &needed) == BP_OK) {
    std::vector<char> json(needed);
    if (bp_runtime_report_json(rt, json.data(), json.size(), &needed) != BP_OK)
      err = std::string("bp_runtime_report_json: ") + bp_last_error_message();
  }
  bp_tensor_destroy(a);
  bp_tensor_destroy(b);
  bp_tensor_destroy(c);
  bp_runtime_destroy(rt);
  return err;
}

}  // namespace rel
