#include "fuse/train/schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "fuse/base/error.h"

namespace fuse::train {

namespace {
constexpr double kPi = 3.14159265358979323846;
double cosine(double from, double to, double t) { return to + (from - to) * 0.5 * (1 + std::cos(kPi * std::clamp(t, 0.0, 1.0))); }
// One cycle at fraction t of the run: from `start` to `peak` over the first `pct` of it, then on to `end`.
double one_cycle(double t, double pct, double start, double peak, double end) {
  return t < pct ? cosine(start, peak, t / pct) : cosine(peak, end, (t - pct) / (1 - pct));
}
}  // namespace

Schedule::Schedule(ScheduleSpec spec, int64_t steps_per_epoch, int64_t epochs)
    : spec_(std::move(spec)), steps_per_epoch_(std::max<int64_t>(1, steps_per_epoch)), total_steps_(std::max<int64_t>(1, steps_per_epoch_ * epochs)) {
  const std::string& n = spec_.name;
  if (n != "constant" && n != "step" && n != "cosine" && n != "one_cycle" && n != "plateau")
    throw Error(Errc::kConfig, "schedule: unknown name '" + n + "' (constant, step, cosine, one_cycle, plateau)");
  if (spec_.warmup_epochs > 0) spec_.warmup_steps = static_cast<int64_t>(std::llround(spec_.warmup_epochs * static_cast<double>(steps_per_epoch_)));
}

double Schedule::factor(int64_t step, int64_t epoch) const {
  const std::string& n = spec_.name;
  if (n == "one_cycle") {
    const double t = static_cast<double>(step) / static_cast<double>(total_steps_);
    const double start = 1.0 / spec_.div_factor;
    return one_cycle(t, spec_.pct_start, start, 1.0, start / spec_.final_div_factor);
  }
  double f = 1.0;
  if (n == "step") f = std::pow(spec_.gamma, static_cast<double>(epoch / std::max<int64_t>(1, spec_.step_size)));
  else if (n == "cosine") f = cosine(1.0, spec_.min_factor, static_cast<double>(step - spec_.warmup_steps) / static_cast<double>(std::max<int64_t>(1, total_steps_ - spec_.warmup_steps)));
  else if (n == "plateau") f = plateau_factor_;
  if (spec_.warmup_steps > 0 && step < spec_.warmup_steps) f *= static_cast<double>(step + 1) / static_cast<double>(spec_.warmup_steps);
  return f;
}

std::optional<double> Schedule::momentum(int64_t step) const {
  if (spec_.name != "one_cycle" || !spec_.cycle_momentum) return std::nullopt;
  const double t = static_cast<double>(step) / static_cast<double>(total_steps_);
  const auto [outer, inner] = spec_.momentum;
  return one_cycle(t, spec_.pct_start, outer, inner, outer);
}

void Schedule::on_epoch_end(double monitored, bool maximize) {
  if (spec_.name != "plateau" || std::isnan(monitored)) return;
  const bool better = !has_best_ || (maximize ? monitored > best_ : monitored < best_);
  if (better) {
    best_ = monitored, has_best_ = true, bad_epochs_ = 0;
    return;
  }
  if (++bad_epochs_ > spec_.patience) {
    plateau_factor_ = std::max(spec_.min_lr_factor, plateau_factor_ * spec_.factor);
    bad_epochs_ = 0;
  }
}

std::string Schedule::save_state() const {
  char text[128];
  std::snprintf(text, sizeof text, "%.17g %.17g %d %lld", plateau_factor_, best_, has_best_ ? 1 : 0, static_cast<long long>(bad_epochs_));
  return text;
}

void Schedule::load_state(const std::string& state) {
  int has = 0;
  long long bad = 0;
  if (std::sscanf(state.c_str(), "%lg %lg %d %lld", &plateau_factor_, &best_, &has, &bad) != 4)
    throw Error(Errc::kInvalidArgument, "schedule: unreadable saved state '" + state + "'");
  has_best_ = has != 0;
  bad_epochs_ = bad;
}

}  // namespace fuse::train
