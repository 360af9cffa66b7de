/* The ABI headers must compile as plain C (this file is built as C by CMake). */
#include "backplane/abi.h"
#include "backplane/runtime.h"

int bp_abi_test_c_sizeof_tensor(void) { return (int)sizeof(bp_tensor); }
int bp_abi_test_c_sizeof_plugin_api(void) { return (int)sizeof(bp_plugin_api); }

/* op_attrs.h is plain C99 too: the documented C way to get an op's neutral attributes. */
#include "backplane/op_attrs.h"
int bp_abi_test_c_conv_default_dilation(void) {
  bp_conv2d_attrs a;
  bp_conv2d_attrs_init(&a);
  return a.dilation_h * 10 + a.dilation_w;
}
