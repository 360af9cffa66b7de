#include "softmax_loss.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "backplane/sdk/plugin.hpp"
#include "common.hpp"

namespace bp::openblas_cpu {

namespace {

// Rows per parallel chunk: a row is a few dozen to a few thousand floats.
int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(1, cols)); }

// y = softmax(x) (or log-softmax) of one row; returns log(sum(exp(x - max))) and max through the pointers.
void softmax_row(const float* x, float* y, int64_t cols, bool log_softmax, float* max_out = nullptr,
                 float* log_sum_out = nullptr) {
  float mx = x[0];
  for (int64_t j = 1; j < cols; ++j) mx = x[j] > mx ? x[j] : mx;
  float sum = 0.0f;
  if (log_softmax) {
    for (int64_t j = 0; j < cols; ++j) sum += std::exp(x[j] - mx);
    const float log_sum = std::log(sum);
    for (int64_t j = 0; j < cols; ++j) y[j] = x[j] - mx - log_sum;
    if (log_sum_out) *log_sum_out = log_sum;
  } else {
    for (int64_t j = 0; j < cols; ++j) {
      y[j] = std::exp(x[j] - mx);
      sum += y[j];
    }
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < cols; ++j) y[j] *= inv;
    if (log_sum_out) *log_sum_out = std::log(sum);
  }
  if (max_out) *max_out = mx;
}

void check_labels(const bp_op_desc& op, int64_t rows, int64_t classes) {
  const int32_t* labels = data_of<int32_t>(op.inputs[1]);
  for (int64_t i = 0; i < rows; ++i)
    if (labels[i] < 0 || labels[i] >= classes)
      bp::sdk::fail(BP_ERR_INVALID_ARGUMENT, std::string(bp::sdk::op_kind_name(op.kind)) + " input 1 (labels): label " +
                                                 std::to_string(labels[i]) + " at row " + std::to_string(i) +
                                                 " is outside [0, " + std::to_string(classes) + ")");
}

}  // namespace

void execute_softmax(const bp_op_desc& op) {
  const bool log_softmax = static_cast<const bp_softmax_attrs*>(op.attrs)->log != 0;
  const bp_tensor& tx = op.inputs[0];
  const int64_t cols = tx.shape[tx.ndim - 1];
  if (cols == 0) return;
  const int64_t rows = bp::sdk::numel(tx) / cols;
  const float* x = f32(tx);
  float* y = f32(op.outputs[0]);
  parallel_ranges(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) softmax_row(x + i * cols, y + i * cols, cols, log_softmax);
  });
}

void execute_softmax_bwd(const bp_op_desc& op) {
  const bool log_softmax = static_cast<const bp_softmax_attrs*>(op.attrs)->log != 0;
  const bp_tensor& ty = op.inputs[0];
  const int64_t cols = ty.shape[ty.ndim - 1];
  if (cols == 0) return;
  const int64_t rows = bp::sdk::numel(ty) / cols;
  const float* y = f32(ty);
  const float* dy = f32(op.inputs[1]);
  float* dx = f32(op.outputs[0]);
  parallel_ranges(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float* yr = y + i * cols;
      const float* gr = dy + i * cols;
      float* dr = dx + i * cols;
      float dot = 0.0f;
      if (log_softmax) {
        // y = log softmax: dx = dy - softmax * sum(dy)
        for (int64_t j = 0; j < cols; ++j) dot += gr[j];
        for (int64_t j = 0; j < cols; ++j) dr[j] = gr[j] - std::exp(yr[j]) * dot;
      } else {
        // dx = y * (dy - sum(dy * y))
        for (int64_t j = 0; j < cols; ++j) dot += gr[j] * yr[j];
        for (int64_t j = 0; j < cols; ++j) dr[j] = yr[j] * (gr[j] - dot);
      }
    }
  });
}

void execute_xent_fwd(const bp_op_desc& op) {
  const bool mean = static_cast<const bp_xent_attrs*>(op.attrs)->reduction == BP_REDUCE_MEAN;
  const int64_t rows = op.inputs[0].shape[0], cols = op.inputs[0].shape[1];
  check_labels(op, rows, cols);
  const float* logits = f32(op.inputs[0]);
  const int32_t* labels = data_of<int32_t>(op.inputs[1]);
  float* loss = f32(op.outputs[0]);
  float* probs = f32(op.outputs[1]);
  // Per-chunk partial sums, added in chunk order so the result does not
  // depend on thread timing.
  const int threads = pool().size();
  const int64_t chunks = chunk_count(rows, row_grain(cols), threads);
  std::vector<double> partial(size_t(chunks > 0 ? chunks : 1), 0.0);
  if (chunks > 0) {
    pool().run(chunks, [&](int64_t chunk, int) {
      double acc = 0.0;
      for (int64_t i = chunk_begin(rows, chunks, chunk); i < chunk_begin(rows, chunks, chunk + 1); ++i) {
        float mx = 0.0f, log_sum = 0.0f;
        softmax_row(logits + i * cols, probs + i * cols, cols, false, &mx, &log_sum);
        // -log softmax[label], from the logits for precision when p is tiny.
        acc += double(log_sum) + double(mx) - double(logits[i * cols + labels[i]]);
      }
      partial[size_t(chunk)] = acc;
    });
  }
  double total = 0.0;
  for (double p : partial) total += p;
  if (mean) total = rows > 0 ? total / double(rows) : std::numeric_limits<double>::quiet_NaN();
  loss[0] = float(total);
}

void execute_xent_bwd(const bp_op_desc& op) {
  const bool mean = static_cast<const bp_xent_attrs*>(op.attrs)->reduction == BP_REDUCE_MEAN;
  const int64_t rows = op.inputs[0].shape[0], cols = op.inputs[0].shape[1];
  check_labels(op, rows, cols);
  const float* probs = f32(op.inputs[0]);
  const int32_t* labels = data_of<int32_t>(op.inputs[1]);
  float* dlogits = f32(op.outputs[0]);
  const float scale = mean && rows > 0 ? 1.0f / float(rows) : 1.0f;
  parallel_ranges(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float* p = probs + i * cols;
      float* d = dlogits + i * cols;
      for (int64_t j = 0; j < cols; ++j) d[j] = p[j] * scale;
      d[labels[i]] -= scale;
    }
  });
}

}  // namespace bp::openblas_cpu
