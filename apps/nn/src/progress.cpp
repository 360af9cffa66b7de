#include "backplane/nn/progress.hpp"

#include <cmath>

namespace bp::nn {

std::string format_epoch_time(double seconds, int64_t steps) {
  char total[32], per_step[32];
  if (seconds < 10.0)
    std::snprintf(total, sizeof total, "%.1fs", seconds);
  else
    std::snprintf(total, sizeof total, "%.0fs", seconds);
  const double step_s = steps > 0 ? seconds / static_cast<double>(steps) : 0.0;
  if (step_s >= 1.0)
    std::snprintf(per_step, sizeof per_step, "%.0fs/step", step_s);
  else if (step_s >= 1e-3)
    std::snprintf(per_step, sizeof per_step, "%.0fms/step", step_s * 1e3);
  else
    std::snprintf(per_step, sizeof per_step, "%.0fus/step", step_s * 1e6);
  return std::string(total) + " " + per_step;
}

std::string format_progress_bar(int64_t step, int64_t steps, int width) {
  const std::string total = std::to_string(steps);
  std::string done = std::to_string(step);
  if (done.size() < total.size()) done.insert(0, total.size() - done.size(), ' ');
  const int filled = steps > 0 ? static_cast<int>(static_cast<double>(width) * static_cast<double>(step) /
                                                  static_cast<double>(steps))
                               : width;
  std::string bar(static_cast<size_t>(width), '.');
  for (int i = 0; i < filled && i < width; ++i) bar[static_cast<size_t>(i)] = '=';
  if (filled < width && step > 0) bar[static_cast<size_t>(filled)] = '>';
  return done + "/" + total + " [" + bar + "]";
}

void ProgressPrinter::on_epoch_begin(int epoch, int epochs, int64_t steps) {
  steps_ = steps;
  last_draw_ = -1.0;
  drawn_width_ = 0;
  std::fprintf(out_, "Epoch %d/%d\n", epoch, epochs);
  std::fflush(out_);
}

void ProgressPrinter::on_step_end(int, int64_t step, int64_t steps, double elapsed_s, MetricsReader& metrics) {
  if (!terminal_ || step == steps) return;  // the last step is drawn by on_epoch_end
  if (last_draw_ >= 0.0 && elapsed_s - last_draw_ < refresh_s_) return;
  last_draw_ = elapsed_s;
  const RunningMetrics m = metrics.read();
  const double eta = elapsed_s / static_cast<double>(step) * static_cast<double>(steps - step);
  char tail[96];
  std::snprintf(tail, sizeof tail, " - ETA: %.0fs - loss: %.4f - accuracy: %.4f", std::ceil(eta), m.loss,
                m.accuracy);
  const std::string line = format_progress_bar(step, steps) + tail;
  std::fprintf(out_, "\r%s", line.c_str());
  if (line.size() < drawn_width_) std::fprintf(out_, "%*s", static_cast<int>(drawn_width_ - line.size()), "");
  drawn_width_ = line.size();
  std::fflush(out_);
}

void ProgressPrinter::on_epoch_end(const EpochResult& r) {
  char tail[128];
  std::snprintf(tail, sizeof tail, " - %s - loss: %.4f - accuracy: %.4f%s",
                format_epoch_time(r.seconds, r.steps).c_str(), r.loss, r.accuracy,
                r.interrupted ? " (interrupted)" : "");
  const std::string line = format_progress_bar(r.steps, steps_) + tail;
  if (terminal_) {
    std::fprintf(out_, "\r%s", line.c_str());
    if (line.size() < drawn_width_) std::fprintf(out_, "%*s", static_cast<int>(drawn_width_ - line.size()), "");
  } else {
    std::fputs(line.c_str(), out_);
  }
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace bp::nn
