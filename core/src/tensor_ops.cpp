// tensor_ops.cpp — tensors on the selected device, op validation, placement
// and per-op fallback to the CPU plugin.
#include <algorithm>
#include <cstring>
#include <map>

#include "errors.hpp"
#include "log.hpp"
#include "runtime.hpp"

#if __has_include("backplane/sdk/op_check.hpp")
#include "backplane/sdk/op_check.hpp"
#define BP_HAVE_OP_CHECK 1
#endif

using namespace bp::core;

namespace {

constexpr uint32_t max_op_tensors = 8;

std::string role(bool input, uint32_t i) { return std::string(input ? "input " : "output ") + std::to_string(i); }

// Resolve handles into views; every handle must be a live tensor of `rt`.
bp_status collect(bp_runtime_t rt, const char* fn, bp_op_kind kind, const bp_tensor_t* handles, uint32_t n, bool input,
                  bp_tensor* views, bp_tensor_s** owners) {
  if (n > max_op_tensors)
    return fail(BP_ERR_INVALID_ARGUMENT, std::string(fn) + "(" + bp_op_kind_name(kind) + "): " + std::to_string(n) +
                                             (input ? " inputs" : " outputs") + " (at most 8)");
  if (n > 0 && !handles)
    return fail(BP_ERR_INVALID_ARGUMENT, std::string(fn) + "(" + bp_op_kind_name(kind) + "): " +
                                             (input ? "inputs" : "outputs") + " array is NULL but its count is " + std::to_string(n));
  for (uint32_t i = 0; i < n; ++i) {
    bp_tensor_t t = handles[i];
    if (!t) return fail(BP_ERR_INVALID_ARGUMENT, std::string(fn) + "(" + bp_op_kind_name(kind) + "): " + role(input, i) + " is NULL");
    if (!tensor_is_live(t))
      return fail(BP_ERR_INVALID_ARGUMENT, std::string(fn) + "(" + bp_op_kind_name(kind) + "): " + role(input, i) +
                                               " is not a live tensor (already destroyed, or not a tensor handle)");
    if (t->runtime != rt)
      return fail(BP_ERR_INVALID_ARGUMENT, std::string(fn) + "(" + bp_op_kind_name(kind) + "): " + role(input, i) +
                                               " belongs to another runtime (backend '" + t->runtime->active->name() + "')");
    views[i] = t->view;
    owners[i] = t;
  }
  return BP_OK;
}

struct prepared_op {
  bp_tensor in[max_op_tensors], out[max_op_tensors];
  bp_tensor_s* in_t[max_op_tensors] = {};
  bp_tensor_s* out_t[max_op_tensors] = {};
  bp_op_desc desc{};
};

bp_status prepare(bp_runtime_t rt, const char* fn, bp_op_kind kind, const void* attrs, const bp_tensor_t* inputs,
                  uint32_t ni, const bp_tensor_t* outputs, uint32_t no, prepared_op* op) {
  if (kind <= BP_OP_INVALID || kind >= BP_OP_KIND_COUNT_)
    return fail(BP_ERR_INVALID_ARGUMENT, std::string(fn) + ": unknown op kind " + std::to_string(kind) +
                                             " (this core knows 1.." + std::to_string(BP_OP_KIND_COUNT_ - 1) + ")");
  if (bp_status s = collect(rt, fn, kind, inputs, ni, true, op->in, op->in_t); s != BP_OK) return s;
  if (bp_status s = collect(rt, fn, kind, outputs, no, false, op->out, op->out_t); s != BP_OK) return s;
  op->desc.struct_size = sizeof(bp_op_desc);
  op->desc.kind = kind;
  op->desc.attrs = attrs;
  op->desc.inputs = op->in;
  op->desc.outputs = op->out;
  op->desc.num_inputs = ni;
  op->desc.num_outputs = no;
#ifdef BP_HAVE_OP_CHECK
  std::string why;
  bp_status s = bp::sdk::check_op(op->desc, true, &why);
  if (s != BP_OK) return fail(s, std::string(fn) + ": " + why);
#endif
  return BP_OK;
}

// Ops whose outputs are also read (updated in place, or accumulated into).
bool outputs_are_read(const bp_op_desc& op) {
  switch (op.kind) {
    case BP_OP_ADAM_UPDATE:
    case BP_OP_SGD_UPDATE: return true;
    case BP_OP_GEMM: return op.attrs && static_cast<const bp_gemm_attrs*>(op.attrs)->beta != 0.0f;
    default: return false;
  }
}

// Run `op` on the CPU fallback plugin: copy every distinct tensor to host
// buffers of that plugin, execute, copy outputs back. Aliased tensors (in-place
// ops) map to one buffer, so aliasing is preserved.
bp_status run_on_fallback(bp_runtime_t rt, loaded_plugin* cpu, prepared_op& op) {
  loaded_plugin* dev = rt->active;
  std::map<bp_tensor_s*, void*> staged;
  auto release = [&] {
    for (auto& [t, ptr] : staged) cpu->api().mem_free(cpu->context(), 0, ptr);
  };
  uint64_t moved = 0;
  auto stage = [&](bp_tensor_s* t, bp_tensor& view, bool copy_in) -> bp_status {
    auto it = staged.find(t);
    if (it == staged.end()) {
      void* ptr = nullptr;
      bp_status s = cpu->api().mem_alloc(cpu->context(), 0, t->nbytes, &ptr);
      if (s != BP_OK) return fail(s, cpu->take_error("mem_alloc", s));
      it = staged.emplace(t, ptr).first;
      if (t->nbytes && copy_in) {
        s = dev->api().mem_copy(dev->context(), 0, nullptr, ptr, t->data, t->nbytes, BP_MEMCPY_DEVICE_TO_HOST);
        if (s == BP_OK) s = dev->synchronize();
        if (s != BP_OK) return fail(s, dev->take_error("mem_copy", s));
        moved += t->nbytes;
      }
    }
    view.data = it->second;
    view.byte_offset = 0;
    view.device = bp_device{BP_DEVICE_CPU, 0};
    return BP_OK;
  };
  bp_status s = BP_OK;
  const bool read_outputs = outputs_are_read(op.desc);
  for (uint32_t i = 0; s == BP_OK && i < op.desc.num_inputs; ++i) s = stage(op.in_t[i], op.in[i], true);
  for (uint32_t i = 0; s == BP_OK && i < op.desc.num_outputs; ++i) s = stage(op.out_t[i], op.out[i], read_outputs);
  if (s == BP_OK) {
    s = cpu->api().op_execute(cpu->context(), 0, nullptr, &op.desc);
    if (s != BP_OK) s = fail(s, cpu->take_error("op_execute", s));
  }
  for (uint32_t i = 0; s == BP_OK && i < op.desc.num_outputs; ++i) {
    bp_tensor_s* t = op.out_t[i];
    if (!t->nbytes) continue;
    s = dev->api().mem_copy(dev->context(), 0, nullptr, t->data, staged[t], t->nbytes, BP_MEMCPY_HOST_TO_DEVICE);
    if (s == BP_OK) s = dev->synchronize();  // the CPU plugin's buffer is released right after
    if (s != BP_OK) s = fail(s, dev->take_error("mem_copy", s));
    moved += t->nbytes;
  }
  release();
  std::lock_guard<std::mutex> lock(rt->mutex);
  rt->bytes_moved += moved;
  return s;
}

}  // namespace

extern "C" {

BP_API bp_status bp_tensor_create(bp_runtime_t rt, bp_dtype dtype, int32_t ndim, const int64_t* shape, bp_tensor_t* out) {
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

BP_API void bp_tensor_destroy(bp_tensor_t t) {
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

BP_API bp_status bp_tensor_import(bp_runtime_t rt, const bp_tensor* view, bp_external_deleter deleter, void* deleter_context,
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

BP_API const bp_tensor* bp_tensor_view(bp_tensor_t t) { return tensor_is_live(t) ? &t->view : nullptr; }
BP_API uint64_t bp_tensor_nbytes(bp_tensor_t t) { return tensor_is_live(t) ? t->nbytes : 0; }

BP_API bp_status bp_tensor_reshape(bp_tensor_t t, int32_t ndim, const int64_t* shape) {
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

BP_API bp_status bp_tensor_write(bp_tensor_t t, const void* src, uint64_t bytes) {
  return tensor_transfer(t, const_cast<void*>(src), bytes, true, "bp_tensor_write");
}
BP_API bp_status bp_tensor_read(bp_tensor_t t, void* dst, uint64_t bytes) {
  return tensor_transfer(t, dst, bytes, false, "bp_tensor_read");
}

BP_API bp_status bp_op_supported(bp_runtime_t rt, bp_op_kind kind, const void* attrs, const bp_tensor_t* inputs, uint32_t ni,
                                 const bp_tensor_t* outputs, uint32_t no, char* reason, uint64_t reason_size) {
  BP_CHECK_RUNTIME(rt, "bp_op_supported");
  if (reason && reason_size) reason[0] = '\0';
  prepared_op op;
  if (bp_status s = prepare(rt, "bp_op_supported", kind, attrs, inputs, ni, outputs, no, &op); s != BP_OK) {
    if (reason && reason_size) std::snprintf(reason, reason_size, "%s", bp_last_error_message());
    return s;
  }
  loaded_plugin* p = rt->active;
  bp_status s = p->api().op_supports(p->context(), 0, &op.desc, reason, reason_size);
  if (s != BP_OK) {
    std::string msg = p->take_error("op_supports", s);
    if (reason && reason_size && !reason[0]) std::snprintf(reason, reason_size, "%s", msg.c_str());
    return fail(s, "[" + p->name() + "] does not run " + bp_op_kind_name(kind) + ": " + (reason && reason[0] ? reason : msg));
  }
  return BP_OK;
}

BP_API bp_status bp_op_run(bp_runtime_t rt, bp_op_kind kind, const void* attrs, const bp_tensor_t* inputs, uint32_t ni,
                           const bp_tensor_t* outputs, uint32_t no) {
  BP_CHECK_RUNTIME(rt, "bp_op_run");
  prepared_op op;
  if (bp_status s = prepare(rt, "bp_op_run", kind, attrs, inputs, ni, outputs, no, &op); s != BP_OK) return s;
  loaded_plugin* p = rt->active;
  char reason[512] = {0};
  bp_status sup = p->api().op_supports(p->context(), 0, &op.desc, reason, sizeof reason);
  std::string why;
  if (sup == BP_OK) {
    bp_status s = BP_OK;
    if (const fault_clause* f = rt->cfg.find_fault(p->name(), "oom_at_execute")) {
      // Simulated device OOM (rehearsable without a GPU): fail exactly as a plugin whose allocation failed.
      uint64_t in_bytes = 0, out_bytes = 0;
      for (uint32_t i = 0; i < ni; ++i) in_bytes += op.in_t[i]->nbytes;
      for (uint32_t i = 0; i < no; ++i) out_bytes += op.out_t[i]->nbytes;
      s = BP_ERR_OUT_OF_MEMORY;
      thread_plugin_error() = plugin_error{s, std::string("out of device memory running ") + bp_op_kind_name(kind) + " (" +
                                                  std::to_string(in_bytes) + " bytes of inputs, " +
                                                  std::to_string(out_bytes) + " bytes of outputs) [injected by BACKPLANE_FAULT " +
                                                  f->text + "]"};
    } else {
      s = p->api().op_execute(p->context(), 0, nullptr, &op.desc);
    }
    if (s == BP_OK) {
      std::lock_guard<std::mutex> lock(rt->mutex);
      ++rt->placement[kind].on_backend;
      return BP_OK;
    }
    std::string msg = p->take_error("op_execute", s);
    // Runtime failure after selection: retry on the CPU only where that is meaningful and allowed.
    bool retry = (s == BP_ERR_OUT_OF_MEMORY || s == BP_ERR_DEVICE || s == BP_ERR_UNSUPPORTED) && rt->cfg.op_fallback &&
                 rt->cfg.fallback != BP_FALLBACK_ERROR && p->record().device_kind != BP_DEVICE_KIND_CPU;
    loaded_plugin* cpu = nullptr;
    if (retry) {
      std::lock_guard<std::mutex> lock(rt->mutex);
      cpu = rt->fallback_plugin();
    }
    // One RUNTIME_FAILURE event per (plugin, op kind, cause): a failing training loop must not grow the list.
    // Raised also when nothing retries the op (OOM / device error on a CPU backend or under policy "error").
    if (cpu || s == BP_ERR_OUT_OF_MEMORY || s == BP_ERR_DEVICE) {
      bp_cause cause = s == BP_ERR_OUT_OF_MEMORY ? BP_CAUSE_OUT_OF_MEMORY : BP_CAUSE_PLUGIN_ERROR;
      std::lock_guard<std::mutex> lock(rt->mutex);
      bool seen = std::any_of(rt->events.begin(), rt->events.end(), [&](const event_record& e) {
        return e.kind == BP_EVENT_RUNTIME_FAILURE && e.op == kind && e.cause == cause && e.plugin == p->name();
      });
      if (!seen)
        rt->raise_event(event_record{BP_EVENT_RUNTIME_FAILURE, p->name(), cpu ? cpu->name() : std::string(),
                                     BP_STAGE_EXECUTE, cause, kind, msg,
                                     cause == BP_CAUSE_OUT_OF_MEMORY ? bp_cause_remedy(cause) : ""});
    }
    if (!cpu) return fail(s, msg);
    why = msg;
    bp_status fs = run_on_fallback(rt, cpu, op);
    if (fs == BP_OK) {
      std::lock_guard<std::mutex> lock(rt->mutex);
      auto& pl = rt->placement[kind];
      ++pl.on_fallback;
      if (pl.fallback_reason.empty()) pl.fallback_reason = "runtime failure: " + why;
    }
    return fs;
  }

  why = reason[0] ? reason : p->take_error("op_supports", sup);
  thread_plugin_error() = plugin_error{};
  if (p->record().device_kind == BP_DEVICE_KIND_CPU || !rt->cfg.op_fallback)
    return fail(BP_ERR_UNSUPPORTED, "bp_op_run(" + std::string(bp_op_kind_name(kind)) + "): backend '" + p->name() +
                                        "' does not support this op: " + why +
                                        (rt->cfg.op_fallback ? "" : " (per-op fallback is off)"));
  if (rt->cfg.fallback == BP_FALLBACK_ERROR)
    return fail(BP_ERR_POLICY, "bp_op_run(" + std::string(bp_op_kind_name(kind)) + "): backend '" + p->name() +
                                   "' does not support this op (" + why +
                                   ") and BACKPLANE_FALLBACK=error forbids running it on the CPU");
  loaded_plugin* cpu = nullptr;
  {
    std::lock_guard<std::mutex> lock(rt->mutex);
    cpu = rt->fallback_plugin();
    auto& pl = rt->placement[kind];
    if (cpu && pl.on_fallback == 0 && pl.fallback_reason.empty()) {
      pl.fallback_reason = why;
      rt->raise_event(event_record{BP_EVENT_OP_FALLBACK, p->name(), cpu->name(), BP_STAGE_EXECUTE, BP_CAUSE_NONE, kind, why,
                                   "use an op configuration the backend supports, or accept the copies"});
    }
  }
  if (!cpu)
    return fail(BP_ERR_UNSUPPORTED, "bp_op_run(" + std::string(bp_op_kind_name(kind)) + "): backend '" + p->name() +
                                        "' does not support this op (" + why + ") and no CPU plugin is available to run it");
  bp_status fs = run_on_fallback(rt, cpu, op);
  if (fs == BP_OK) {
    std::lock_guard<std::mutex> lock(rt->mutex);
    ++rt->placement[kind].on_fallback;
  }
  return fs;
}

}  // extern "C"
