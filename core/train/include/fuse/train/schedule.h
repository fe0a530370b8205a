// Learning-rate schedules as a factor of the optimiser's base rate, per optimisation step: constant, step
// decay, cosine annealing, one-cycle (warm-up then cosine down, with the momentum cycled the other way, as
// fastai's fit_one_cycle and PyTorch's OneCycleLR), reduce on plateau, each with an optional linear warm-up.
#ifndef FUSE_TRAIN_SCHEDULE_H_
#define FUSE_TRAIN_SCHEDULE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace fuse::train {

struct ScheduleSpec {
  std::string name = "constant";  // constant, step, cosine, one_cycle, plateau
  int64_t warmup_steps = 0;       // linear warm-up from 0 (all schedules but one_cycle, which has its own)
  double warmup_epochs = 0;       // the same in epochs (converted once the steps per epoch are known)
  int64_t step_size = 10;         // step: epochs between decays
  double gamma = 0.1;             // step: the decay
  double min_factor = 0.0;        // cosine: the final factor
  double pct_start = 0.25;        // one_cycle: share of the steps spent going up
  double div_factor = 25;         // one_cycle: base / start
  double final_div_factor = 1e4;  // one_cycle: base / end
  // one_cycle: the momentum (SGD) or first beta (Adam, AdamW) goes from momentum[0] down to momentum[1] while
  // the rate goes up, and back while it comes down (a high rate with a low momentum: fastai's moms).
  bool cycle_momentum = true;
  std::array<double, 2> momentum{0.95, 0.85};
  double factor = 0.1;            // plateau: the decay
  int64_t patience = 5;           // plateau: epochs without improvement before a decay
  double min_lr_factor = 0.0;     // plateau: the lowest factor
};

class Schedule {
 public:
  Schedule(ScheduleSpec spec, int64_t steps_per_epoch, int64_t epochs);
  // The factor for optimisation step `step` (0-based, counted over the run) in epoch `epoch`.
  double factor(int64_t step, int64_t epoch) const;
  // The momentum for step `step`, where the schedule sets it (one_cycle with cycle_momentum).
  std::optional<double> momentum(int64_t step) const;
  // Plateau: after each validation, with the monitored value and whether larger is better.
  void on_epoch_end(double monitored, bool maximize);
  std::string save_state() const;  // the plateau's state; the others are functions of the step
  void load_state(const std::string& state);

 private:
  ScheduleSpec spec_;
  int64_t steps_per_epoch_, total_steps_;
  // plateau
  double plateau_factor_ = 1.0, best_ = 0.0;
  bool has_best_ = false;
  int64_t bad_epochs_ = 0;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SCHEDULE_H_
