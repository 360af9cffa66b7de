/*
 * abi_v1_0_plugin.c — a plugin written in C99 against the FROZEN v1.0 ABI
 * header (tests/sdk/abi_v1_0/backplane/abi.h, a verbatim copy of abi.h as
 * released in 1.0). It must keep loading and running in every later 1.x core:
 * that is the promise the append-only rules in abi.h make.
 *
 * Implements ADD on host memory and declines everything else. No SDK headers,
 * no C++: only the ABI header, exactly what an old third-party plugin has.
 */
/* posix_memalign (C99 has no aligned_alloc). */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backplane/abi.h"

static const bp_host_api* g_host;

static void say_error(bp_status status, const char* message) {
  if (g_host && BP_HAS_MEMBER(bp_host_api, set_error, g_host->struct_size) && g_host->set_error)
    g_host->set_error(g_host->host_context, status, message);
}

static bp_status probe(const bp_host_api* host) {
  g_host = host;
  if (host && BP_HAS_MEMBER(bp_host_api, report_probe, host->struct_size) && host->report_probe) {
    bp_probe_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.state = BP_STATE_READY;
    r.device_count = 1;
    r.message = "C plugin built against the frozen v1.0 ABI header";
    r.remedy = "";
    host->report_probe(host->host_context, &r);
  }
  return BP_OK;
}

static int g_context_token;
static bp_status init(const bp_host_api* host, void** context) {
  g_host = host;
  if (!context) return BP_ERR_INVALID_ARGUMENT;
  *context = &g_context_token;
  return BP_OK;
}
static void shutdown(void* context) { (void)context; }

static bp_status device_count(void* context, uint32_t* count) {
  (void)context;
  if (!count) return BP_ERR_INVALID_ARGUMENT;
  *count = 1;
  return BP_OK;
}

static bp_status device_props(void* context, uint32_t index, bp_device_props* props) {
  bp_device_props p;
  (void)context;
  if (index != 0 || !props || props->struct_size < offsetof(bp_device_props, name)) {
    say_error(BP_ERR_INVALID_ARGUMENT, "abi-v1-0 device_props: bad index or props");
    return BP_ERR_INVALID_ARGUMENT;
  }
  memset(&p, 0, sizeof p);
  p.struct_size = props->struct_size < sizeof p ? props->struct_size : (uint32_t)sizeof p;
  p.kind = BP_DEVICE_KIND_OTHER;
  p.device.device_type = BP_DEVICE_CPU;
  strcpy(p.name, "v1.0 C test device");
  memcpy(props, &p, p.struct_size);
  return BP_OK;
}

static bp_status mem_alloc(void* context, uint32_t device, uint64_t bytes, void** ptr) {
  (void)context;
  if (device != 0 || !ptr) return BP_ERR_INVALID_ARGUMENT;
  *ptr = NULL;
  if (posix_memalign(ptr, 64, bytes == 0 ? 64 : (size_t)((bytes + 63) / 64 * 64)) != 0) {
    *ptr = NULL;
    return BP_ERR_OUT_OF_MEMORY;
  }
  return BP_OK;
}
static bp_status mem_free(void* context, uint32_t device, void* ptr) {
  (void)context, (void)device;
  free(ptr);
  return BP_OK;
}
static bp_status mem_copy(void* context, uint32_t device, bp_stream_t stream, void* dst, const void* src, uint64_t bytes,
                          bp_memcpy_kind kind) {
  (void)context, (void)device, (void)stream, (void)kind;
  if (bytes && (!dst || !src)) return BP_ERR_INVALID_ARGUMENT;
  memmove(dst, src, (size_t)bytes);
  return BP_OK;
}
static bp_status stream_synchronize(void* context, uint32_t device, bp_stream_t stream) {
  (void)context, (void)device, (void)stream;
  return BP_OK;
}

static int64_t count_of(const bp_tensor* t) {
  int64_t n = 1;
  int32_t i;
  for (i = 0; i < t->ndim; ++i) n *= t->shape[i];
  return n;
}

/* ADD of three compact float32 host tensors of one shape, nothing else. */
static int add_ok(const bp_op_desc* op, char* reason, uint64_t size) {
  int32_t i;
  const char* why = NULL;
  if (!op || op->struct_size < sizeof(bp_op_desc)) why = "malformed op descriptor";
  else if (op->kind != BP_OP_ADD) why = "the v1.0 C test plugin implements ADD only";
  else if (op->num_inputs != 2 || op->num_outputs != 1 || !op->inputs || !op->outputs) why = "ADD needs (a, b; c)";
  else {
    const bp_tensor* ts[3];
    int k;
    ts[0] = &op->inputs[0], ts[1] = &op->inputs[1], ts[2] = &op->outputs[0];
    for (k = 0; k < 3 && !why; ++k) {
      if (ts[k]->dtype.code != BP_DTYPE_FLOAT || ts[k]->dtype.bits != 32 || ts[k]->dtype.lanes != 1) why = "float32 only";
      else if (ts[k]->device.device_type != BP_DEVICE_CPU) why = "host memory only";
      else if (ts[k]->strides) why = "compact tensors only";
      else if (ts[k]->ndim != ts[0]->ndim) why = "shapes differ";
      else
        for (i = 0; i < ts[k]->ndim; ++i)
          if (ts[k]->shape[i] != ts[0]->shape[i]) why = "shapes differ";
    }
  }
  if (why) {
    if (reason && size) snprintf(reason, (size_t)size, "%s", why);
    say_error(BP_ERR_UNSUPPORTED, why);
  }
  return why == NULL;
}

static bp_status op_supports(void* context, uint32_t device, const bp_op_desc* op, char* reason, uint64_t size) {
  (void)context;
  if (device != 0) return BP_ERR_INVALID_ARGUMENT;
  return add_ok(op, reason, size) ? BP_OK : BP_ERR_UNSUPPORTED;
}

static bp_status op_execute(void* context, uint32_t device, bp_stream_t stream, const bp_op_desc* op) {
  int64_t i, n;
  const float *a, *b;
  float* c;
  (void)context, (void)stream;
  if (device != 0 || !add_ok(op, NULL, 0)) return BP_ERR_UNSUPPORTED;
  n = count_of(&op->inputs[0]);
  a = (const float*)((const char*)op->inputs[0].data + op->inputs[0].byte_offset);
  b = (const float*)((const char*)op->inputs[1].data + op->inputs[1].byte_offset);
  c = (float*)((char*)op->outputs[0].data + op->outputs[0].byte_offset);
  if (n && (!a || !b || !c)) {
    say_error(BP_ERR_INVALID_ARGUMENT, "NULL data");
    return BP_ERR_INVALID_ARGUMENT;
  }
  for (i = 0; i < n; ++i) c[i] = a[i] + b[i];
  return BP_OK;
}

BP_PLUGIN_EXPORT const bp_plugin_api* bp_plugin_get_api(const bp_host_api* host) {
  static const bp_plugin_api api = {
      sizeof(bp_plugin_api), BP_ABI_VERSION_MAJOR, BP_ABI_VERSION_MINOR, 5, "abi-v1-0", "1.0.0",
      "C99 plugin built against the frozen v1.0 ABI header", BP_DEVICE_KIND_OTHER,
      probe, init, shutdown, device_count, device_props, mem_alloc, mem_free, mem_copy,
      NULL, NULL, stream_synchronize, op_supports, op_execute};
  g_host = host;
  return &api;
}
