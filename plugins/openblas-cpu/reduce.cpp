#include "reduce.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "common.hpp"

namespace bp::openblas_cpu {

void execute_reduce(const bp_op_desc& op) {
  const auto& a = *static_cast<const bp_reduce_attrs*>(op.attrs);
  const bp_tensor& tx = op.inputs[0];
  const float* x = f32(tx);
  float* y = f32(op.outputs[0]);
  const bool mean = a.mode == BP_REDUCE_MEAN;
  const double nan = std::numeric_limits<double>::quiet_NaN();

  if (a.axis == -1) {
    const int64_t n = bp::sdk::numel(tx);
    const int64_t chunks = chunk_count(n, 1 << 15, pool().size());
    std::vector<double> partial(size_t(std::max<int64_t>(chunks, 1)), 0.0);
    if (chunks > 0)
      pool().run(chunks, [&](int64_t c, int) {
        double s = 0.0;
        for (int64_t i = chunk_begin(n, chunks, c); i < chunk_begin(n, chunks, c + 1); ++i) s += x[i];
        partial[size_t(c)] = s;
      });
    double total = 0.0;
    for (double s : partial) total += s;
    y[0] = float(mean ? (n > 0 ? total / double(n) : nan) : total);
    return;
  }
  // x as (outer, len, inner); y[o, i] = sum over l of x[o, l, i].
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < a.axis; ++i) outer *= tx.shape[i];
  for (int32_t i = a.axis + 1; i < tx.ndim; ++i) inner *= tx.shape[i];
  const int64_t len = tx.shape[a.axis];
  parallel_ranges(outer, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, len * inner)), [&](int64_t lo, int64_t hi) {
    std::vector<double> acc(static_cast<size_t>(inner));
    for (int64_t o = lo; o < hi; ++o) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const float* xo = x + o * len * inner;
      for (int64_t l = 0; l < len; ++l)
        for (int64_t i = 0; i < inner; ++i) acc[size_t(i)] += xo[l * inner + i];
      for (int64_t i = 0; i < inner; ++i)
        y[o * inner + i] = float(mean ? (len > 0 ? acc[size_t(i)] / double(len) : nan) : acc[size_t(i)]);
    }
  });
}

void execute_argmax(const bp_op_desc& op) {
  const bp_tensor& tx = op.inputs[0];
  const int64_t cols = tx.shape[tx.ndim - 1];
  if (cols == 0) return;  // the validator allows this only for zero rows
  const int64_t rows = bp::sdk::numel(tx) / cols;
  const float* x = f32(tx);
  int32_t* idx = data_of<int32_t>(op.outputs[0]);
  parallel_ranges(rows, std::max<int64_t>(1, (1 << 15) / cols), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const float* row = x + r * cols;
      int64_t best = 0;
      for (int64_t j = 1; j < cols; ++j)
        if (row[j] > row[best]) best = j;
      idx[r] = int32_t(best);
    }
  });
}

}  // namespace bp::openblas_cpu
