// backplane/dlpack.hpp — header-only DLPack interop for host applications.
//
//   DLManagedTensor* bp::to_dlpack(bp::tensor&& t);
//   bp::tensor       bp::from_dlpack(const bp::runtime& rt, DLManagedTensor* m);
//
// Needs <dlpack/dlpack.h> (DLPack 0.6+; Debian/Ubuntu: libdlpack-dev) and
// links nothing beyond libbackplane. Nothing here crosses the plugin ABI.
//
// Export (to_dlpack) is always zero-copy: the DLManagedTensor owns the bp
// tensor (and a copy of its shape); calling its deleter destroys the tensor and
// frees its memory. The consumer must call the deleter exactly once. Memory
// stays on the runtime's device (kDLCPU for CPU backends, kDLCUDA for cudnn),
// strides are NULL (compact row-major), byte_offset is 0. On a GPU backend,
// ops and writes run asynchronously on the plugin's stream: call
// rt.synchronize() before a consumer on another stream or library reads it.
//
// Import (from_dlpack) is zero-copy when the runtime can use the memory
// directly (bp_tensor_import: compact, and on the runtime's device type — host
// memory for a CPU backend, the same CUDA device for a CUDA backend); the
// returned tensor then calls m->deleter(m) when it is destroyed, and the
// producer's memory must stay valid until then. Otherwise it COPIES: when the
// source is host memory (kDLCPU / kDLCUDAHost), the elements are gathered
// (any strides) into a new tensor on the runtime's device and m->deleter(m) is
// called before returning. Device memory the host cannot read (e.g. CUDA memory
// handed to a CPU runtime) is refused with bp::error(BP_ERR_UNSUPPORTED).
// Ownership: on success the bp side owns `m`; when from_dlpack throws, the
// caller still owns it.
#pragma once

#include <dlpack/dlpack.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "backplane/backplane.hpp"

namespace bp {

static_assert(sizeof(DLTensor) == sizeof(bp_tensor), "bp_tensor is layout-identical to DLTensor");
static_assert(sizeof(DLDataType) == sizeof(bp_dtype), "bp_dtype is layout-identical to DLDataType");

namespace dlpack_detail {

// The manager context of an exported tensor: owns the bp tensor and the shape
// the DLTensor points at.
struct exported {
  DLManagedTensor managed{};
  tensor owner;
  int64_t shape[BP_MAX_DIMS] = {};
};

inline void delete_exported(DLManagedTensor* self) {
  if (self) delete static_cast<exported*>(self->manager_ctx);
}

// bp_tensor_import's deleter: hands the memory back to the producer.
inline void release_managed(void* context) {
  auto* m = static_cast<DLManagedTensor*>(context);
  if (m && m->deleter) m->deleter(m);
}

inline bool host_readable(const DLDevice& d) { return d.device_type == kDLCPU || d.device_type == kDLCUDAHost; }

// Copies a (possibly strided) host DLTensor into a compact buffer.
inline std::vector<unsigned char> gather(const DLTensor& t, size_t element_bytes) {
  int64_t count = 1;
  for (int i = 0; i < t.ndim; ++i) count *= t.shape[i];
  std::vector<unsigned char> out(static_cast<size_t>(count) * element_bytes);
  if (count == 0) return out;
  const auto* base = static_cast<const unsigned char*>(t.data) + t.byte_offset;
  if (t.strides == nullptr) {
    std::memcpy(out.data(), base, out.size());
    return out;
  }
  std::vector<int64_t> index(static_cast<size_t>(t.ndim), 0);
  for (int64_t n = 0; n < count; ++n) {
    int64_t offset = 0;
    for (int i = 0; i < t.ndim; ++i) offset += index[static_cast<size_t>(i)] * t.strides[i];
    std::memcpy(out.data() + static_cast<size_t>(n) * element_bytes,
                base + offset * static_cast<int64_t>(element_bytes), element_bytes);
    for (int i = t.ndim - 1; i >= 0; --i) {  // row-major odometer
      if (++index[static_cast<size_t>(i)] < t.shape[i]) break;
      index[static_cast<size_t>(i)] = 0;
    }
  }
  return out;
}

}  // namespace dlpack_detail

// Zero-copy export; see the file comment. `t` is consumed (left empty).
inline DLManagedTensor* to_dlpack(tensor&& t) {
  if (!t) throw error(BP_ERR_INVALID_ARGUMENT, "bp::to_dlpack: the tensor is empty (moved-from or default-constructed)");
  auto ctx = std::make_unique<dlpack_detail::exported>();
  ctx->owner = std::move(t);
  const bp_tensor& view = ctx->owner.view();
  for (int32_t i = 0; i < view.ndim; ++i) ctx->shape[i] = view.shape[i];
  DLTensor& dl = ctx->managed.dl_tensor;
  dl.data = view.data;
  dl.device = DLDevice{static_cast<DLDeviceType>(view.device.device_type), view.device.device_id};
  dl.ndim = view.ndim;
  dl.dtype = DLDataType{view.dtype.code, view.dtype.bits, view.dtype.lanes};
  dl.shape = ctx->shape;
  dl.strides = nullptr;  // compact row-major
  dl.byte_offset = view.byte_offset;
  ctx->managed.manager_ctx = ctx.get();
  ctx->managed.deleter = &dlpack_detail::delete_exported;
  return &ctx.release()->managed;
}

// Import, zero-copy when possible; see the file comment.
inline tensor from_dlpack(const runtime& rt, DLManagedTensor* m) {
  if (!m) throw error(BP_ERR_INVALID_ARGUMENT, "bp::from_dlpack: DLManagedTensor is NULL");
  const DLTensor& dl = m->dl_tensor;
  if (dl.ndim < 0 || dl.ndim > BP_MAX_DIMS)
    throw error(BP_ERR_INVALID_ARGUMENT, "bp::from_dlpack: ndim " + std::to_string(dl.ndim) + " is outside 0.." +
                                             std::to_string(BP_MAX_DIMS));
  bp_tensor view{};
  view.data = dl.data;
  view.device = bp_device{static_cast<int32_t>(dl.device.device_type), dl.device.device_id};
  view.ndim = dl.ndim;
  view.dtype = bp_dtype{dl.dtype.code, dl.dtype.bits, dl.dtype.lanes};
  view.shape = dl.shape;
  view.strides = dl.strides;
  view.byte_offset = dl.byte_offset;

  bp_tensor_t handle = nullptr;
  const bp_status s = bp_tensor_import(rt.get(), &view, &dlpack_detail::release_managed, m, &handle);
  if (s == BP_OK) return tensor(handle);
  if (s != BP_ERR_UNSUPPORTED) throw error(s, std::string("bp::from_dlpack: ") + bp_last_error_message());

  // Not directly usable: copy through host memory when the host can read it.
  const std::string why = bp_last_error_message();
  if (!dlpack_detail::host_readable(dl.device))
    throw error(BP_ERR_UNSUPPORTED, "bp::from_dlpack: cannot import without a copy (" + why +
                                        ") and the memory (DLPack device type " + std::to_string(dl.device.device_type) +
                                        ") is not host-readable, so it cannot be copied either; move it to host memory first");
  if (dl.dtype.bits % 8 != 0 || dl.dtype.lanes != 1)
    throw error(BP_ERR_INVALID_ARGUMENT, "bp::from_dlpack: only single-lane, byte-sized dtypes can be copied");
  const std::vector<unsigned char> bytes = dlpack_detail::gather(dl, dl.dtype.bits / 8u);
  tensor t(rt, view.dtype, std::vector<int64_t>(dl.shape, dl.shape + dl.ndim));
  check(bp_tensor_write(t.get(), bytes.data(), bytes.size()));
  if (m->deleter) m->deleter(m);  // the copy is ours; the producer's memory is released now
  return t;
}

}  // namespace bp
