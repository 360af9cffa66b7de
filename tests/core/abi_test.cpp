// ABI layout and version tests: sizes pinned, C and C++ agree, DLTensor-compatible.
#include <dlpack/dlpack.h>
#include <doctest/doctest.h>

#include <cstddef>
#include <string>

#include "backplane/runtime.h"

extern "C" int bp_abi_test_c_sizeof_tensor(void);
extern "C" int bp_abi_test_c_sizeof_plugin_api(void);

TEST_CASE("abi: C and C++ see the same layouts") {
  CHECK(bp_abi_test_c_sizeof_tensor() == static_cast<int>(sizeof(bp_tensor)));
  CHECK(bp_abi_test_c_sizeof_plugin_api() == static_cast<int>(sizeof(bp_plugin_api)));
}

TEST_CASE("abi: bp_tensor is layout-identical to DLPack's DLTensor") {
  CHECK(sizeof(bp_tensor) == sizeof(DLTensor));
  CHECK(offsetof(bp_tensor, data) == offsetof(DLTensor, data));
  CHECK(offsetof(bp_tensor, device) == offsetof(DLTensor, device));
  CHECK(offsetof(bp_tensor, ndim) == offsetof(DLTensor, ndim));
  CHECK(offsetof(bp_tensor, dtype) == offsetof(DLTensor, dtype));
  CHECK(offsetof(bp_tensor, shape) == offsetof(DLTensor, shape));
  CHECK(offsetof(bp_tensor, strides) == offsetof(DLTensor, strides));
  CHECK(offsetof(bp_tensor, byte_offset) == offsetof(DLTensor, byte_offset));
  CHECK(sizeof(bp_dtype) == sizeof(DLDataType));
  CHECK(sizeof(bp_device) == sizeof(DLDevice));
  CHECK(BP_DEVICE_CUDA == kDLCUDA);
  CHECK(BP_DTYPE_FLOAT == kDLFloat);
}

TEST_CASE("abi: every boundary struct starts with struct_size") {
  CHECK(offsetof(bp_op_desc, struct_size) == 0);
  CHECK(offsetof(bp_plugin_api, struct_size) == 0);
  CHECK(offsetof(bp_host_api, struct_size) == 0);
  CHECK(offsetof(bp_device_props, struct_size) == 0);
  CHECK(offsetof(bp_conv2d_attrs, struct_size) == 0);
  CHECK(offsetof(bp_dependency_report, struct_size) == 0);
  CHECK(offsetof(bp_runtime_options, struct_size) == 0);
}

TEST_CASE("abi: version query and names") {
  uint32_t major = 0, minor = 99;
  bp_abi_version(&major, &minor);
  CHECK(major == BP_ABI_VERSION_MAJOR);
  CHECK(minor == BP_ABI_VERSION_MINOR);
  CHECK(std::string(bp_version_string()).size() >= 5);
  CHECK(std::string(bp_cause_name(BP_CAUSE_DRIVER_MISSING)) == "driver_missing");
  CHECK(std::string(bp_cause_name(BP_CAUSE_VERSION_MISMATCH)) == "version_mismatch");
  CHECK(std::string(bp_cause_name(12345)) == "unknown_cause");
  CHECK(std::string(bp_state_name(BP_STATE_NO_DEVICE)) == "no_device");
  CHECK(std::string(bp_op_kind_name(BP_OP_CONV2D_FWD)) == "CONV2D_FWD");
  CHECK(std::string(bp_op_kind_name(BP_OP_ARGMAX)) == "ARGMAX");
  CHECK(std::string(bp_status_name(BP_ERR_POLICY)) == "policy");
  for (int c = 1; c < BP_CAUSE_COUNT_; ++c) CHECK(std::string(bp_cause_remedy(c)).size() > 10);
  CHECK(BP_HAS_MEMBER(bp_plugin_api, op_execute, sizeof(bp_plugin_api)));
  CHECK_FALSE(BP_HAS_MEMBER(bp_plugin_api, op_execute, offsetof(bp_plugin_api, op_execute)));
}
