// tensor_ops.cpp — tensors on the selected device (ops: op_dispatch.cpp).
#include <algorithm>
#include <cstring>
#include <map>

#include "entry_guard.hpp"
#include "errors.hpp"
#include "log.hpp"
#include "runtime.hpp"

using namespace bp::core;


extern "C" {

static bp_status bp_tensor_create_unguarded(bp_runtime_t rt, bp_dtype dtype, int32_t ndim, const int64_t* shape, bp_tensor_t* out) {
  BP_CHECK_RUNTIME(rt, "bp_tensor_create");
  if (!out) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_create: tensor (out) is NULL");
  *out = nullptr;
  if (ndim < 0 || ndim > BP_MAX_DIMS)
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_create: ndim " + std::to_string(ndim) + " is outside 0..8");
  if (ndim > 0 && !shape) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_create: shape is NULL for ndim " + std::to_string(ndim));
  if (dtype.lanes != 1 || dtype.bits == 0 || dtype.bits % 8 != 0 || dtype.bits > 64 ||
      (dtype.code != BP_DTYPE_FLOAT && dtype.code != BP_DTYPE_INT && dtype.code != BP_DTYPE_UINT && dtype.code != BP_DTYPE_BFLOAT))
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_create: unsupported dtype (code " + std::to_string(dtype.code) + ", bits " +
                                             std::to_string(dtype.bits) + ", lanes " + std::to_string(dtype.lanes) + ")");
  unsigned __int128 bytes = dtype.bits / 8;
  for (int32_t i = 0; i < ndim; ++i) {
    if (shape[i] < 0)
      return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_create: shape[" + std::to_string(i) + "] is negative (" + std::to_string(shape[i]) + ")");
    bytes *= static_cast<uint64_t>(shape[i]);
    if (bytes > (static_cast<unsigned __int128>(1) << 62))
      return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_create: the shape's size overflows (more than 2^62 bytes)");
  }
  loaded_plugin* p = rt->active;
  auto t = std::make_unique<bp_tensor_s>();
  t->runtime = rt;
  t->owner = p;
  t->nbytes = static_cast<uint64_t>(bytes);
  bp_status s = p->api().mem_alloc(p->context(), 0, t->nbytes, &t->data);
  if (s != BP_OK) return fail(s, p->take_error("mem_alloc", s) + " (" + std::to_string(t->nbytes) + " bytes)");
  if (!t->data && t->nbytes)
    return fail(BP_ERR_OUT_OF_MEMORY, "[" + p->name() + "] mem_alloc returned NULL for " + std::to_string(t->nbytes) + " bytes");
  for (int32_t i = 0; i < ndim; ++i) t->shape[i] = shape[i];
  t->view.data = t->data;
  t->view.device = p->record().devices.empty() ? bp_device{BP_DEVICE_CPU, 0} : p->record().devices[0].device;
  t->view.ndim = ndim;
  t->view.dtype = dtype;
  t->view.shape = t->shape;
  t->view.strides = nullptr;
  t->view.byte_offset = 0;
  bp_tensor_t handle = t.release();
  {
    std::lock_guard<std::mutex> lock(rt->mutex);
    rt->tensors.insert(handle);
  }
  register_tensor(handle);
  *out = handle;
  return BP_OK;
}

BP_API bp_status bp_tensor_create(bp_runtime_t rt, bp_dtype dtype, int32_t ndim, const int64_t* shape, bp_tensor_t* out) {
  return guarded("bp_tensor_create", [&] { return bp_tensor_create_unguarded(rt, dtype, ndim, shape, out); });
}

static void bp_tensor_destroy_unguarded(bp_tensor_t t) {
  if (!t) return;
  if (!tensor_is_live(t)) {
    log_message(BP_LOG_ERROR, "loader", "bp_tensor_destroy: not a live tensor (double destroy?); ignored");
    return;
  }
  unregister_tensor(t);
  bp_runtime_t rt = t->runtime;
  {
    std::lock_guard<std::mutex> lock(rt->mutex);
    rt->tensors.erase(t);
  }
  if (t->external) {
    if (t->external_deleter) t->external_deleter(t->external_context);
  } else if (t->data) {
    t->owner->api().mem_free(t->owner->context(), 0, t->data);
  }
  t->magic = 0;
  delete t;
}

BP_API void bp_tensor_destroy(bp_tensor_t t) {
  guarded_void("bp_tensor_destroy", [&] { bp_tensor_destroy_unguarded(t); });
}

static bp_status bp_tensor_import_unguarded(bp_runtime_t rt, const bp_tensor* view, bp_external_deleter deleter, void* deleter_context,
                                  bp_tensor_t* out) {
  BP_CHECK_RUNTIME(rt, "bp_tensor_import");
  if (!out) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_import: tensor (out) is NULL");
  *out = nullptr;
  if (!view) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_import: view is NULL");
  if (view->ndim < 0 || view->ndim > BP_MAX_DIMS)
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_import: ndim " + std::to_string(view->ndim) + " is outside 0..8");
  if (view->ndim > 0 && !view->shape) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_import: shape is NULL");
  if (view->dtype.lanes != 1 || view->dtype.bits == 0 || view->dtype.bits % 8)
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_import: only byte-sized, single-lane dtypes are supported");
  unsigned __int128 bytes = view->dtype.bits / 8;
  int64_t expect = 1;
  bool compact = true;
  for (int32_t i = view->ndim - 1; i >= 0; --i) {
    if (view->shape[i] < 0) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_import: shape[" + std::to_string(i) + "] is negative");
    if (view->strides && view->shape[i] > 1 && view->strides[i] != expect) compact = false;
    bytes *= static_cast<uint64_t>(view->shape[i]);
    if (bytes > (static_cast<unsigned __int128>(1) << 62))
      return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_import: the shape's size overflows");
    expect *= view->shape[i];  // after the size check: cannot overflow int64 any more
  }
  if (!compact)
    return fail(BP_ERR_UNSUPPORTED, "bp_tensor_import: strided (non-compact) memory cannot be imported without a copy");
  loaded_plugin* p = rt->active;
  bp_device want = p->record().devices.empty() ? bp_device{BP_DEVICE_CPU, 0} : p->record().devices[0].device;
  bool same_type = view->device.device_type == want.device_type ||
                   (want.device_type == BP_DEVICE_CPU && view->device.device_type == BP_DEVICE_CUDA_HOST);
  if (!same_type || (want.device_type != BP_DEVICE_CPU && view->device.device_id != want.device_id))
    return fail(BP_ERR_UNSUPPORTED, "bp_tensor_import: memory on device type " + std::to_string(view->device.device_type) + ":" +
                                        std::to_string(view->device.device_id) + " is not usable by backend '" + p->name() +
                                        "' (device type " + std::to_string(want.device_type) + ":" +
                                        std::to_string(want.device_id) + "); copy it instead");
  if (!view->data && bytes) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_import: data is NULL");
  auto t = std::make_unique<bp_tensor_s>();
  t->runtime = rt;
  t->owner = p;
  t->external = true;
  t->external_deleter = deleter;
  t->external_context = deleter_context;
  t->data = static_cast<char*>(view->data) + view->byte_offset;
  t->nbytes = static_cast<uint64_t>(bytes);
  for (int32_t i = 0; i < view->ndim; ++i) t->shape[i] = view->shape[i];
  t->view.data = t->data;
  t->view.device = view->device;
  t->view.ndim = view->ndim;
  t->view.dtype = view->dtype;
  t->view.shape = t->shape;
  bp_tensor_t handle = t.release();
  {
    std::lock_guard<std::mutex> lock(rt->mutex);
    rt->tensors.insert(handle);
  }
  register_tensor(handle);
  *out = handle;
  return BP_OK;
}

BP_API bp_status bp_tensor_import(bp_runtime_t rt, const bp_tensor* view, bp_external_deleter deleter, void* deleter_context,
                                  bp_tensor_t* out) {
  return guarded("bp_tensor_import", [&] { return bp_tensor_import_unguarded(rt, view, deleter, deleter_context, out); });
}

static const bp_tensor* bp_tensor_view_unguarded(bp_tensor_t t) { return tensor_is_live(t) ? &t->view : nullptr; }

BP_API const bp_tensor* bp_tensor_view(bp_tensor_t t) {
  return guarded_value<const bp_tensor*>("bp_tensor_view", nullptr, [&] { return bp_tensor_view_unguarded(t); });
}
static uint64_t bp_tensor_nbytes_unguarded(bp_tensor_t t) { return tensor_is_live(t) ? t->nbytes : 0; }

BP_API uint64_t bp_tensor_nbytes(bp_tensor_t t) {
  return guarded_value<uint64_t>("bp_tensor_nbytes", 0, [&] { return bp_tensor_nbytes_unguarded(t); });
}

static bp_status bp_tensor_reshape_unguarded(bp_tensor_t t, int32_t ndim, const int64_t* shape) {
  if (!tensor_is_live(t)) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_reshape: tensor is NULL or not live");
  if (ndim < 0 || ndim > BP_MAX_DIMS || (ndim > 0 && !shape))
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_reshape: ndim " + std::to_string(ndim) + " outside 0..8 or shape NULL");
  int64_t old_n = 1, new_n = 1;
  for (int32_t i = 0; i < t->view.ndim; ++i) old_n *= t->shape[i];
  for (int32_t i = 0; i < ndim; ++i) {
    if (shape[i] < 0) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_reshape: shape[" + std::to_string(i) + "] is negative");
    if (shape[i] && new_n > INT64_MAX / shape[i]) return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_reshape: shape overflows");
    new_n *= shape[i];
  }
  if (new_n != old_n)
    return fail(BP_ERR_INVALID_ARGUMENT, "bp_tensor_reshape: new shape has " + std::to_string(new_n) + " elements, tensor has " +
                                             std::to_string(old_n));
  for (int32_t i = 0; i < ndim; ++i) t->shape[i] = shape[i];
  t->view.ndim = ndim;
  return BP_OK;
}

BP_API bp_status bp_tensor_reshape(bp_tensor_t t, int32_t ndim, const int64_t* shape) {
  return guarded("bp_tensor_reshape", [&] { return bp_tensor_reshape_unguarded(t, ndim, shape); });
}

static bp_status tensor_transfer(bp_tensor_t t, void* host, uint64_t bytes, bool to_device, const char* fn) {
  if (!tensor_is_live(t)) return fail(BP_ERR_INVALID_ARGUMENT, std::string(fn) + ": tensor is NULL or not live");
  if (!host && bytes) return fail(BP_ERR_INVALID_ARGUMENT, std::string(fn) + ": host pointer is NULL");
  if (bytes != t->nbytes)
    return fail(BP_ERR_INVALID_ARGUMENT, std::string(fn) + ": " + std::to_string(bytes) + " bytes given, tensor holds " +
                                             std::to_string(t->nbytes));
  if (!bytes) return BP_OK;
  loaded_plugin* p = t->owner;
  // Writes do not wait for the device (loaded_plugin::upload stages them); reads do.
  bp_status s = BP_OK;
  if (to_device) {
    s = p->upload(t->data, host, bytes);
  } else {
    s = p->api().mem_copy(p->context(), 0, nullptr, host, t->data, bytes, BP_MEMCPY_DEVICE_TO_HOST);
    if (s == BP_OK) s = p->synchronize();
  }
  return s == BP_OK ? BP_OK : fail(s, p->take_error("mem_copy", s));
}

static bp_status bp_tensor_write_unguarded(bp_tensor_t t, const void* src, uint64_t bytes) {
  return tensor_transfer(t, const_cast<void*>(src), bytes, true, "bp_tensor_write");
}

BP_API bp_status bp_tensor_write(bp_tensor_t t, const void* src, uint64_t bytes) {
  return guarded("bp_tensor_write", [&] { return bp_tensor_write_unguarded(t, src, bytes); });
}
static bp_status bp_tensor_read_unguarded(bp_tensor_t t, void* dst, uint64_t bytes) {
  return tensor_transfer(t, dst, bytes, false, "bp_tensor_read");
}

BP_API bp_status bp_tensor_read(bp_tensor_t t, void* dst, uint64_t bytes) {
  return guarded("bp_tensor_read", [&] { return bp_tensor_read_unguarded(t, dst, bytes); });
}

}  // extern "C"
