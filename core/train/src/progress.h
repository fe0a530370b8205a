// The console view of training: a bar per epoch (steps, running loss, rate, ETA) redrawn in place on a
// terminal, and one summary line per epoch. Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_PROGRESS_H_
#define FUSE_TRAIN_SRC_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace fuse::train {

class ProgressBar {
 public:
  // `enabled`: the bar and the lines; `notes`: the notes (a distributed run's other ranks have none).
  explicit ProgressBar(bool enabled, bool notes = true);
  void start(const std::string& what, int64_t total);
  void update(int64_t done, double loss, double lr);
  void finish();
  // A line of its own (the epoch summary), below the bar; none without progress.
  void line(const std::string& text);
  // A line printed with or without progress: what the run fitted or sized, why it stopped.
  void note(const std::string& text);

 private:
  bool enabled_, notes_, terminal_;
  std::string what_;
  int64_t total_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

std::string format_seconds(double seconds);  // "1:05", "12.3 s"

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_PROGRESS_H_
