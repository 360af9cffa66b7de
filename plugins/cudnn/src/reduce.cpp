// reduce.cpp — REDUCE (sum/mean over one axis or all), BIAS_GRAD and ARGMAX
// (kernels/reduce.cu). Reductions run in a fixed order: results are
// deterministic run to run.
#include "ops.hpp"

namespace bp::cudnn {

std::string reduce_limits(const bp_op_desc&) { return {}; }

void reduce_execute(const op_call& call) {
  kernel_library& k = *call.dev.kernels;
  const bp_tensor& x = call.in(0);
  const int64_t n = count(x);
  switch (call.op.kind) {
    case BP_OP_REDUCE: {
      const auto& a = call.attrs<bp_reduce_attrs>();
      if (a.axis < 0) {
        const float scale = a.mode == BP_REDUCE_MEAN ? (n > 0 ? 1.0f / float(n) : 0.0f) : 1.0f;
        k.launch_grid("bp_reduce_all_f32", call.stream, 1, 1024, typed<const float>(x), typed<float>(call.out(0)),
                      (long long)n, scale);
        return;
      }
      long long outer = 1, inner = 1;
      for (int32_t d = 0; d < a.axis; ++d) outer *= x.shape[d];
      for (int32_t d = a.axis + 1; d < x.ndim; ++d) inner *= x.shape[d];
      const long long extent = x.shape[a.axis];
      if (outer * inner == 0) return;
      const float scale = a.mode == BP_REDUCE_MEAN ? (extent > 0 ? 1.0f / float(extent) : 0.0f) : 1.0f;
      k.launch("bp_reduce_axis_f32", call.stream, outer * inner, 256, typed<const float>(x), typed<float>(call.out(0)),
               outer, extent, inner, scale);
      return;
    }
    case BP_OP_BIAS_GRAD: {
      const auto& a = call.attrs<bp_layout_attrs>();
      const int32_t axis = bp::sdk::channel_axis(a.layout, x.ndim);
      long long outer = 1, inner = 1;
      for (int32_t d = 0; d < axis; ++d) outer *= x.shape[d];
      for (int32_t d = axis + 1; d < x.ndim; ++d) inner *= x.shape[d];
      const long long channels = x.shape[axis];
      if (channels == 0) return;
      const unsigned grid = unsigned(channels < 65535 ? channels : 65535);
      k.launch_grid("bp_bias_grad_f32", call.stream, grid, 256, typed<const float>(x), typed<float>(call.out(0)), outer,
                    channels, inner);
      return;
    }
    default: {  // ARGMAX over the last axis: x(..., C) -> idx(...), rows = every other axis
      const long long cols = x.ndim > 0 ? x.shape[x.ndim - 1] : 1;
      const long long rows = cols > 0 ? n / cols : 0;
      if (rows == 0) return;
      k.launch("bp_argmax_f32", call.stream, rows * 32, 256, typed<const float>(x), typed<int>(call.out(0)), rows, cols);
      return;
    }
  }
}

}  // namespace bp::cudnn
