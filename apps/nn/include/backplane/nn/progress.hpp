// backplane/nn/progress.hpp — Keras-style per-epoch progress:
//   Epoch 1/5
//   32/32 [==============================] - 0.1s 3ms/step - loss: 2.3021 - accuracy: 0.1130
// On a terminal the bar is redrawn in place with '\r' (at most every
// `refresh_s`, each redraw reads the running metrics); otherwise only the
// final line of each epoch is printed.
#pragma once

#include <cstdio>
#include <string>

#include "backplane/nn/sequential.hpp"

namespace bp::nn {

// "0.1s 3ms/step" / "12s 640us/step" (Keras' rounding).
std::string format_epoch_time(double seconds, int64_t steps);
// "32/32 [==============================]" for step of steps.
std::string format_progress_bar(int64_t step, int64_t steps, int width = 30);

class ProgressPrinter : public Callback {
 public:
  ProgressPrinter(std::FILE* out, bool terminal, double refresh_s = 0.1)
      : out_(out), terminal_(terminal), refresh_s_(refresh_s) {}
  void on_epoch_begin(int epoch, int epochs, int64_t steps) override;
  void on_step_end(int epoch, int64_t step, int64_t steps, double elapsed_s, MetricsReader& metrics) override;
  void on_epoch_end(const EpochResult& result) override;

 private:
  std::FILE* out_;
  bool terminal_;
  double refresh_s_;
  double last_draw_ = -1.0;
  int64_t steps_ = 0;
  size_t drawn_width_ = 0;
};

}  // namespace bp::nn
