/* The ABI headers must compile as plain C (this file is built as C by CMake). */
#include "backplane/abi.h"
#include "backplane/runtime.h"

int bp_abi_test_c_sizeof_tensor(void) { return (int)sizeof(bp_tensor); }
int bp_abi_test_c_sizeof_plugin_api(void) { return (int)sizeof(bp_plugin_api); }
