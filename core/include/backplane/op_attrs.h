/* op_attrs.h — the neutral defaults of every op attribute struct (C99, header-only).
 *
 * A zero-filled attribute struct is not a valid request (a stride or dilation
 * of 0 is refused), so a host that wants "the usual" op fills the struct with
 * bp_<name>_attrs_init() and then changes only what it means to change:
 *
 *   bp_conv2d_attrs a;
 *   bp_conv2d_attrs_init(&a);      // NHWC, stride 1, dilation 1, VALID, no activation
 *   a.padding = BP_PADDING_SAME;
 *
 * Each init sets struct_size to this header's size, so the struct is read as
 * the version the host was compiled against. Defaults follow Keras where Keras
 * has one (pooling window 2 with stride = window, Adam's lr/betas/epsilon,
 * SGD's lr 0.01, mean cross-entropy). The C++ layer (backplane.hpp) returns
 * the same values from bp::default_attrs<T>(). Part of the host API; plugins
 * never need it (they read whatever the host sent).
 */
#ifndef BACKPLANE_OP_ATTRS_H
#define BACKPLANE_OP_ATTRS_H

#include <string.h>

#include "backplane/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* NHWC, stride 1x1, dilation 1x1, VALID padding (pads 0), no fused activation. */
static inline void bp_conv2d_attrs_init(bp_conv2d_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->layout = BP_LAYOUT_NHWC;
  a->stride_h = a->stride_w = 1;
  a->dilation_h = a->dilation_w = 1;
  a->padding = BP_PADDING_VALID;
  a->activation = BP_ACTIVATION_NONE;
}

/* NHWC (channel axis last). */
static inline void bp_layout_attrs_init(bp_layout_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->layout = BP_LAYOUT_NHWC;
}

/* No activation (identity): set the one you want. */
static inline void bp_activation_attrs_init(bp_activation_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->activation = BP_ACTIVATION_NONE;
}

/* Keras MaxPooling2D(): NHWC, max, window 2x2, stride = window, VALID padding. */
static inline void bp_pool2d_attrs_init(bp_pool2d_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->layout = BP_LAYOUT_NHWC;
  a->mode = BP_POOL_MAX;
  a->window_h = a->window_w = 2;
  a->stride_h = a->stride_w = 2;
  a->padding = BP_PADDING_VALID;
}

/* c = a x b: no transposes, alpha 1, beta 0 (c is write-only). */
static inline void bp_gemm_attrs_init(bp_gemm_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->alpha = 1.0f;
  a->beta = 0.0f;
}

/* Softmax (not log-softmax). */
static inline void bp_softmax_attrs_init(bp_softmax_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->log = 0;
}

/* Mean over the batch (Keras' default reduction). */
static inline void bp_xent_attrs_init(bp_xent_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->reduction = BP_REDUCE_MEAN;
}

/* Keras Adam(): lr 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7, first step (t = 1). */
static inline void bp_adam_attrs_init(bp_adam_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->lr = 0.001f;
  a->beta1 = 0.9f;
  a->beta2 = 0.999f;
  a->epsilon = 1e-7f;
  a->step = 1;
}

/* Keras SGD(): lr 0.01, no momentum, not Nesterov. */
static inline void bp_sgd_attrs_init(bp_sgd_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->lr = 0.01f;
  a->momentum = 0.0f;
  a->nesterov = 0;
}

/* value 1: SCALE by 1 is the identity (FILL callers set the value they want). */
static inline void bp_scalar_attrs_init(bp_scalar_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->value = 1.0f;
}

/* Sum over all axes (a single-element output). */
static inline void bp_reduce_attrs_init(bp_reduce_attrs* a) {
  memset(a, 0, sizeof *a);
  a->struct_size = sizeof *a;
  a->mode = BP_REDUCE_SUM;
  a->axis = -1;
}

#ifdef __cplusplus
}
#endif

#endif /* BACKPLANE_OP_ATTRS_H */
