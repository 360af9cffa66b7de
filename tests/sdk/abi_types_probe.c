/*
 * abi_types_probe.c — compiled with -g into a small shared library whose only
 * purpose is to carry DWARF for every public type of abi.h and runtime.h, so
 * libabigail (abidw/abidiff with --headers-dir) can compare struct layouts
 * and enums against tests/sdk/abi-baseline/public-types.abi. One exported
 * function per public struct keeps each type reachable.
 */
#include "backplane/runtime.h"

#define BP_PROBE(type) \
  __attribute__((visibility("default"))) void bp_abi_probe_##type(type* value) { (void)value; }

BP_PROBE(bp_tensor)
BP_PROBE(bp_dtype)
BP_PROBE(bp_device)
BP_PROBE(bp_conv2d_attrs)
BP_PROBE(bp_layout_attrs)
BP_PROBE(bp_activation_attrs)
BP_PROBE(bp_pool2d_attrs)
BP_PROBE(bp_gemm_attrs)
BP_PROBE(bp_softmax_attrs)
BP_PROBE(bp_xent_attrs)
BP_PROBE(bp_adam_attrs)
BP_PROBE(bp_sgd_attrs)
BP_PROBE(bp_scalar_attrs)
BP_PROBE(bp_reduce_attrs)
BP_PROBE(bp_op_desc)
BP_PROBE(bp_device_props)
BP_PROBE(bp_search_entry)
BP_PROBE(bp_dependency_report)
BP_PROBE(bp_probe_result)
BP_PROBE(bp_host_api)
BP_PROBE(bp_plugin_api)
BP_PROBE(bp_event)
BP_PROBE(bp_runtime_options)
BP_PROBE(bp_plugin_info)
BP_PROBE(bp_placement_stats)
