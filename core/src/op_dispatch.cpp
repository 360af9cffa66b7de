// op_dispatch.cpp — the one op path: bp_op_supported and bp_op_run.
//
//   validate once (backplane/op_contract.hpp) -> ask the backend (verdict kept
//   per op signature) -> execute -> on a decline, UNSUPPORTED, or (on a
//   non-CPU backend) OUT_OF_MEMORY / DEVICE: per-op fallback on another CPU
//   plugin, with the event kind chosen from what happened.
//
// Plugins are not asked to re-validate what the core checked (docs/abi.md,
// "Who checks what").
#include <algorithm>
#include <cstring>

#include "backplane/op_contract.hpp"
#include "entry_guard.hpp"
#include "errors.hpp"
#include "op_dispatch.hpp"
#include "runtime.hpp"

using namespace bp::core;

namespace bp::core {

std::string op_verdicts::signature(const bp_op_desc& op) {
  std::string key;
  auto put = [&key](const void* p, size_t n) { key.append(static_cast<const char*>(p), n); };
  put(&op.kind, sizeof op.kind);
  uint32_t attrs_size = op.attrs ? std::min<uint32_t>(*static_cast<const uint32_t*>(op.attrs), 256) : 0;
  put(&attrs_size, sizeof attrs_size);
  if (attrs_size) put(op.attrs, attrs_size);
  auto tensor = [&](const bp_tensor& t) {
    put(&t.dtype, sizeof t.dtype);
    put(&t.device, sizeof t.device);
    put(&t.ndim, sizeof t.ndim);
    put(t.shape, sizeof(int64_t) * static_cast<size_t>(t.ndim));
    const uint32_t misalign = static_cast<uint32_t>((reinterpret_cast<uintptr_t>(t.data) + t.byte_offset) % 64);
    put(&misalign, sizeof misalign);
  };
  for (uint32_t i = 0; i < op.num_inputs; ++i) tensor(op.inputs[i]);
  for (uint32_t o = 0; o < op.num_outputs; ++o) {
    tensor(op.outputs[o]);
    int32_t same_as = -1;  // the in-place pattern (a backend may decline in-place use)
    for (uint32_t i = 0; i < op.num_inputs && same_as < 0; ++i)
      if (op.inputs[i].data == op.outputs[o].data && op.inputs[i].byte_offset == op.outputs[o].byte_offset)
        same_as = static_cast<int32_t>(i);
    put(&same_as, sizeof same_as);
  }
  return key;
}

bool op_verdicts::find(const std::string& signature, verdict* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = verdicts_.find(signature);
  if (it == verdicts_.end()) return false;
  *out = it->second;
  return true;
}

void op_verdicts::keep(const std::string& signature, verdict v) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (verdicts_.size() >= kLimit) verdicts_.clear();
  verdicts_[signature] = std::move(v);
}

host_buffers::lease host_buffers::take(uint64_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto best = spare_.end();
    for (auto it = spare_.begin(); it != spare_.end(); ++it)
      if (it->capacity >= bytes && (best == spare_.end() || it->capacity < best->capacity)) best = it;
    if (best != spare_.end()) {
      lease l = std::move(*best);
      spare_.erase(best);
      spare_bytes_ -= l.capacity;
      return l;
    }
  }
  const uint64_t rounded = (std::max<uint64_t>(bytes, 1) + 63) / 64 * 64;
  lease l;
  l.data.reset(static_cast<unsigned char*>(std::aligned_alloc(64, rounded)));
  l.capacity = l.data ? rounded : 0;
  return l;
}

void host_buffers::give_back(lease l) {
  if (!l.data) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (spare_bytes_ + l.capacity > kSpareLimit) return;  // freed here
  spare_bytes_ += l.capacity;
  spare_.push_back(std::move(l));
}

}  // namespace bp::core

namespace {

constexpr uint32_t max_op_tensors = 8;

std::string role(bool input, uint32_t i) { return std::string(input ? "input " : "output ") + std::to_string(i); }

// Resolve handles into views; every handle must be a live tensor of `rt`.
bp_status collect(bp_runtime_t rt, const char* fn, bp_op_kind kind, const bp_tensor_t* handles, uint32_t n, bool input,
                  bp_tensor* views, bp_tensor_s** owners) {
  const std::string where = std::string(fn) + "(" + bp_op_kind_name(kind) + "): ";
  if (n > max_op_tensors)
    return fail(BP_ERR_INVALID_ARGUMENT, where + std::to_string(n) + (input ? " inputs" : " outputs") + " (at most 8)");
  if (n > 0 && !handles)
    return fail(BP_ERR_INVALID_ARGUMENT,
                where + (input ? "inputs" : "outputs") + " array is NULL but its count is " + std::to_string(n));
  for (uint32_t i = 0; i < n; ++i) {
    bp_tensor_t t = handles[i];
    if (!t) return fail(BP_ERR_INVALID_ARGUMENT, where + role(input, i) + " is NULL");
    if (!tensor_is_live(t))
      return fail(BP_ERR_INVALID_ARGUMENT,
                  where + role(input, i) + " is not a live tensor (already destroyed, or not a tensor handle)");
    if (t->runtime != rt)
      return fail(BP_ERR_INVALID_ARGUMENT, where + role(input, i) + " belongs to another runtime (backend '" +
                                               t->runtime->active->name() + "')");
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

// Handles resolved and the op checked against the contract: the one validation of an op.
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
  std::string why;
  bp_status s = bp::contract::check_op(op->desc, true, &why);
  if (s != BP_OK) return fail(s, std::string(fn) + ": " + why);
  return BP_OK;
}

// Does `p` run `desc`? Asked once per op signature; `why` holds the plugin's reason for a decline.
bp_status ask(bp_runtime_t rt, loaded_plugin* p, const bp_op_desc& desc, std::string* why) {
  const std::string key = p->name() + '\n' + op_verdicts::signature(desc);
  op_verdicts::verdict v;
  if (rt->dispatch.verdicts.find(key, &v)) {
    *why = v.reason;
    return v.status;
  }
  char reason[512] = {0};
  bp_status s = p->api().op_supports(p->context(), 0, &desc, reason, sizeof reason);
  std::string msg = s == BP_OK ? std::string() : p->take_error("op_supports", s);
  thread_plugin_error() = plugin_error{};
  *why = reason[0] ? std::string(reason) : msg;
  if (s != BP_OK && why->empty()) *why = "declined without a reason (" + std::string(bp_status_name(s)) + ")";
  if (s == BP_OK || s == BP_ERR_UNSUPPORTED) rt->dispatch.verdicts.keep(key, {s, *why});
  return s;
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

// What the selected backend did with an op.
struct attempt {
  bp_status status = BP_OK;
  bool declined = false;  // op_supports said no (nothing ran)
  std::string why;
};

attempt run_on_backend(bp_runtime_t rt, prepared_op& op) {
  loaded_plugin* p = rt->active;
  attempt a;
  if (bp_status sup = ask(rt, p, op.desc, &a.why); sup != BP_OK) {
    a.status = sup;
    a.declined = true;
    return a;
  }
  if (const fault_clause* f = rt->cfg.find_fault(p->name(), "oom_at_execute")) {
    // Simulated device OOM (rehearsable without a GPU): fail exactly as a plugin whose allocation failed.
    uint64_t in_bytes = 0, out_bytes = 0;
    for (uint32_t i = 0; i < op.desc.num_inputs; ++i) in_bytes += op.in_t[i]->nbytes;
    for (uint32_t i = 0; i < op.desc.num_outputs; ++i) out_bytes += op.out_t[i]->nbytes;
    a.status = BP_ERR_OUT_OF_MEMORY;
    thread_plugin_error() = plugin_error{a.status, std::string("out of device memory running ") +
                                                       bp_op_kind_name(op.desc.kind) + " (" + std::to_string(in_bytes) +
                                                       " bytes of inputs, " + std::to_string(out_bytes) +
                                                       " bytes of outputs) [injected by BACKPLANE_FAULT " + f->text + "]"};
  } else {
    a.status = p->api().op_execute(p->context(), 0, nullptr, &op.desc);
  }
  if (a.status != BP_OK) a.why = p->take_error("op_execute", a.status);
  return a;
}

// Run `op` on the CPU plugin `cpu` (not the selected backend). When the backend
// is itself CPU-kind, its tensors are host memory that `cpu` may use directly.
// Otherwise every distinct tensor is staged in a recycled host buffer: all
// device-to-host copies are enqueued, then the backend is synchronised ONCE
// (the core is the side that waits on them: docs/abi.md); outputs go back as
// staged uploads, which need no wait here. Aliased tensors (in-place ops) map to
// one buffer, so aliasing is preserved. The CPU plugin is asked about the views
// it will see (host memory); when it declines, `cpu_declined` says why and
// nothing runs.
bp_status run_on_fallback(bp_runtime_t rt, loaded_plugin* cpu, prepared_op& op, std::string* cpu_declined) {
  loaded_plugin* dev = rt->active;
  if (dev->record().device_kind == BP_DEVICE_KIND_CPU) {
    if (ask(rt, cpu, op.desc, cpu_declined) != BP_OK) return BP_ERR_UNSUPPORTED;
    if (bp_status s = dev->synchronize(); s != BP_OK) return fail(s, dev->take_error("stream_synchronize", s));
    bp_status s = cpu->api().op_execute(cpu->context(), 0, nullptr, &op.desc);
    if (s == BP_OK) s = cpu->synchronize();
    return s == BP_OK ? BP_OK : fail(s, cpu->take_error("op_execute", s));
  }
  std::vector<std::pair<bp_tensor_s*, host_buffers::lease>> staged;
  auto release = [&] {
    for (auto& entry : staged) rt->dispatch.buffers.give_back(std::move(entry.second));
  };
  uint64_t moved = 0;
  bool copied_in = false;
  auto stage = [&](bp_tensor_s* t, bp_tensor& view, bool copy_in) -> bp_status {
    auto it = std::find_if(staged.begin(), staged.end(), [t](const auto& e) { return e.first == t; });
    if (it == staged.end()) {
      host_buffers::lease l = rt->dispatch.buffers.take(t->nbytes);
      if (!l.data)
        return fail(BP_ERR_OUT_OF_MEMORY, "per-op fallback: no host memory to stage " + std::to_string(t->nbytes) + " bytes");
      if (t->nbytes && copy_in) {
        bp_status s = dev->api().mem_copy(dev->context(), 0, nullptr, l.data.get(), t->data, t->nbytes, BP_MEMCPY_DEVICE_TO_HOST);
        if (s != BP_OK) {
          rt->dispatch.buffers.give_back(std::move(l));
          return fail(s, dev->take_error("mem_copy", s));
        }
        moved += t->nbytes;
        copied_in = true;
      }
      staged.emplace_back(t, std::move(l));
      it = std::prev(staged.end());
    }
    view.data = it->second.data.get();
    view.byte_offset = 0;
    view.device = bp_device{BP_DEVICE_CPU, 0};
    return BP_OK;
  };
  bp_status s = BP_OK;
  const bool read_outputs = outputs_are_read(op.desc);
  for (uint32_t i = 0; s == BP_OK && i < op.desc.num_inputs; ++i) s = stage(op.in_t[i], op.in[i], true);
  for (uint32_t i = 0; s == BP_OK && i < op.desc.num_outputs; ++i) s = stage(op.out_t[i], op.out[i], read_outputs);
  if (s == BP_OK && ask(rt, cpu, op.desc, cpu_declined) != BP_OK) {
    if (copied_in) dev->synchronize();  // copies in flight target these buffers: wait before recycling them
    release();
    return BP_ERR_UNSUPPORTED;
  }
  if (s == BP_OK && copied_in) {  // one wait for every copy of this op
    s = dev->synchronize();
    if (s != BP_OK) s = fail(s, dev->take_error("stream_synchronize", s));
  }
  if (s == BP_OK) {
    s = cpu->api().op_execute(cpu->context(), 0, nullptr, &op.desc);
    if (s == BP_OK) s = cpu->synchronize();
    if (s != BP_OK) s = fail(s, cpu->take_error("op_execute", s));
  }
  for (uint32_t i = 0; s == BP_OK && i < op.desc.num_outputs; ++i) {
    bp_tensor_s* t = op.out_t[i];
    if (!t->nbytes || std::find(op.out_t, op.out_t + i, t) != op.out_t + i) continue;
    auto it = std::find_if(staged.begin(), staged.end(), [t](const auto& e) { return e.first == t; });
    s = dev->upload(t->data, it->second.data.get(), t->nbytes);  // staged: the buffer is reusable at once
    if (s != BP_OK) s = fail(s, dev->take_error("mem_copy", s));
    moved += t->nbytes;
  }
  release();
  std::lock_guard<std::mutex> lock(rt->mutex);
  rt->bytes_moved += moved;
  return s;
}

// The event for a failed attempt, chosen from what happened. A decline that a
// CPU plugin serves is an OP_FALLBACK (first time per op kind); an execute
// failure is a RUNTIME_FAILURE, once per (plugin, op kind, cause) so a failing
// training loop does not grow the list — raised also when nothing retries an
// OOM or device error. Call with rt->mutex held.
void record_event(bp_runtime_t rt, bp_op_kind kind, const attempt& a, loaded_plugin* cpu) {
  loaded_plugin* p = rt->active;
  if (a.declined) {
    auto& pl = rt->placement[kind];
    if (cpu && pl.on_fallback == 0 && pl.fallback_reason.empty()) {
      pl.fallback_reason = a.why;
      rt->raise_event(event_record{BP_EVENT_OP_FALLBACK, p->name(), cpu->name(), BP_STAGE_EXECUTE, BP_CAUSE_NONE, kind,
                                   a.why, "use an op configuration the backend supports, or accept the copies"});
    }
    return;
  }
  if (!cpu && a.status != BP_ERR_OUT_OF_MEMORY && a.status != BP_ERR_DEVICE) return;
  const bp_cause cause = a.status == BP_ERR_OUT_OF_MEMORY ? BP_CAUSE_OUT_OF_MEMORY : BP_CAUSE_PLUGIN_ERROR;
  bool seen = std::any_of(rt->events.begin(), rt->events.end(), [&](const event_record& e) {
    return e.kind == BP_EVENT_RUNTIME_FAILURE && e.op == kind && e.cause == cause && e.plugin == p->name();
  });
  if (!seen)
    rt->raise_event(event_record{BP_EVENT_RUNTIME_FAILURE, p->name(), cpu ? cpu->name() : std::string(),
                                 BP_STAGE_EXECUTE, cause, kind, a.why,
                                 cause == BP_CAUSE_OUT_OF_MEMORY ? bp_cause_remedy(cause) : ""});
}

// Why the failed attempt could not be served elsewhere, as the call's error.
bp_status refuse(bp_runtime_t rt, bp_op_kind kind, const attempt& a, const std::string& cpu_declined) {
  if (!a.declined && cpu_declined.empty()) return fail(a.status, a.why);
  const std::string head = "bp_op_run(" + std::string(bp_op_kind_name(kind)) + "): backend '" + rt->active->name() + "'";
  const std::string what = a.declined ? " does not support this op" : " failed (" + a.why + ")";
  if (!cpu_declined.empty())
    return fail(a.declined ? BP_ERR_UNSUPPORTED : a.status,
                head + what + (a.declined ? " (" + a.why + ")" : "") + " and the CPU fallback '" +
                                        rt->fallback->name() + "' does not run it either: " + cpu_declined);
  if (!rt->cfg.op_fallback) return fail(BP_ERR_UNSUPPORTED, head + what + ": " + a.why + " (per-op fallback is off)");
  if (rt->cfg.fallback == BP_FALLBACK_ERROR)
    return fail(BP_ERR_POLICY, head + what + " (" + a.why + ") and BACKPLANE_FALLBACK=error forbids running it on the CPU");
  return fail(BP_ERR_UNSUPPORTED, head + what + ": " + a.why +
                                      (rt->active->record().device_kind == BP_DEVICE_KIND_CPU
                                           ? " (and no other CPU plugin is available to run it)"
                                           : " (and no CPU plugin is available to run it)"));
}

// After a failed attempt on the backend: the one fallback path.
bp_status fall_back(bp_runtime_t rt, prepared_op& op, const attempt& a) {
  loaded_plugin* p = rt->active;
  const bp_op_kind kind = op.desc.kind;
  // A decline or UNSUPPORTED falls back from any backend (a CPU library may cover part of the op set);
  // out of memory or a device error only from a non-CPU one (another CPU plugin has the same host memory).
  const bool retryable = a.declined || a.status == BP_ERR_UNSUPPORTED ||
                         ((a.status == BP_ERR_OUT_OF_MEMORY || a.status == BP_ERR_DEVICE) &&
                          p->record().device_kind != BP_DEVICE_KIND_CPU);
  const bool allowed = rt->cfg.op_fallback && rt->cfg.fallback != BP_FALLBACK_ERROR;
  loaded_plugin* cpu = nullptr;
  if (retryable && allowed) {
    std::lock_guard<std::mutex> lock(rt->mutex);
    cpu = rt->fallback_plugin();
  }
  std::string cpu_declined;
  bp_status s = cpu ? run_on_fallback(rt, cpu, op, &cpu_declined) : BP_OK;
  if (!cpu_declined.empty()) cpu = nullptr;
  {
    std::lock_guard<std::mutex> lock(rt->mutex);
    record_event(rt, kind, a, cpu);
  }
  if (!cpu) return refuse(rt, kind, a, cpu_declined);
  if (s == BP_OK) {
    std::lock_guard<std::mutex> lock(rt->mutex);
    auto& pl = rt->placement[kind];
    ++pl.on_fallback;
    if (pl.fallback_reason.empty()) pl.fallback_reason = "runtime failure: " + a.why;
  }
  return s;
}

}  // namespace

extern "C" {

BP_API bp_status bp_op_supported(bp_runtime_t rt, bp_op_kind kind, const void* attrs, const bp_tensor_t* inputs, uint32_t ni,
                                 const bp_tensor_t* outputs, uint32_t no, char* reason, uint64_t reason_size) {
  return guarded("bp_op_supported", [&]() -> bp_status {
    BP_CHECK_RUNTIME(rt, "bp_op_supported");
    if (reason && reason_size) reason[0] = '\0';
    prepared_op op;
    if (bp_status s = prepare(rt, "bp_op_supported", kind, attrs, inputs, ni, outputs, no, &op); s != BP_OK) {
      if (reason && reason_size) std::snprintf(reason, reason_size, "%s", bp_last_error_message());
      return s;
    }
    loaded_plugin* p = rt->active;
    std::string why;
    bp_status s = ask(rt, p, op.desc, &why);
    if (s == BP_OK) return BP_OK;
    if (reason && reason_size) std::snprintf(reason, reason_size, "%s", why.c_str());
    return fail(s, "[" + p->name() + "] does not run " + bp_op_kind_name(kind) + ": " + why);
  });
}

BP_API bp_status bp_op_run(bp_runtime_t rt, bp_op_kind kind, const void* attrs, const bp_tensor_t* inputs, uint32_t ni,
                           const bp_tensor_t* outputs, uint32_t no) {
  return guarded("bp_op_run", [&]() -> bp_status {
    BP_CHECK_RUNTIME(rt, "bp_op_run");
    prepared_op op;
    if (bp_status s = prepare(rt, "bp_op_run", kind, attrs, inputs, ni, outputs, no, &op); s != BP_OK) return s;
    const attempt a = run_on_backend(rt, op);
    if (a.status == BP_OK) {
      std::lock_guard<std::mutex> lock(rt->mutex);
      ++rt->placement[kind].on_backend;
      return BP_OK;
    }
    return fall_back(rt, op, a);
  });
}

}  // extern "C"
