#include "fuse/train/schedule.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_support.h"

namespace fuse::train {
namespace {

using fuse::testing::error_of;

ScheduleSpec named(const std::string& name) {
  ScheduleSpec s;
  s.name = name;
  return s;
}

TEST(Schedule, ConstantStepAndWarmUp) {
  EXPECT_DOUBLE_EQ(Schedule(named("constant"), 10, 5).factor(37, 3), 1.0);
  ScheduleSpec step = named("step");
  step.step_size = 2;
  step.gamma = 0.5;
  const Schedule s(step, 10, 6);
  EXPECT_DOUBLE_EQ(s.factor(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(s.factor(25, 2), 0.5);
  EXPECT_DOUBLE_EQ(s.factor(45, 5), 0.25);
  ScheduleSpec warm = named("constant");
  warm.warmup_epochs = 0.5;  // 5 of 10 steps per epoch
  const Schedule w(warm, 10, 3);
  EXPECT_DOUBLE_EQ(w.factor(0, 0), 0.2);
  EXPECT_DOUBLE_EQ(w.factor(4, 0), 1.0);
}

TEST(Schedule, CosineAndOneCycle) {
  const Schedule cosine(named("cosine"), 10, 10);  // 100 steps
  EXPECT_DOUBLE_EQ(cosine.factor(0, 0), 1.0);
  EXPECT_NEAR(cosine.factor(50, 5), 0.5, 1e-12);
  EXPECT_NEAR(cosine.factor(100, 9), 0.0, 1e-12);
  const Schedule one(named("one_cycle"), 10, 10);  // up for 25 steps, then down
  EXPECT_NEAR(one.factor(0, 0), 1.0 / 25, 1e-12);
  EXPECT_NEAR(one.factor(25, 2), 1.0, 1e-12);
  EXPECT_NEAR(one.factor(100, 9), 1.0 / 25 / 1e4, 1e-12);
  EXPECT_GT(one.factor(40, 4), one.factor(60, 6));
}

// fastai's moms=(0.95, 0.85, 0.95): the momentum falls while the rate rises and comes back as it falls.
TEST(Schedule, OneCycleCyclesTheMomentumAgainstTheRate) {
  const Schedule one(named("one_cycle"), 10, 10);  // 100 steps, the peak at 25
  EXPECT_NEAR(*one.momentum(0), 0.95, 1e-12);
  EXPECT_NEAR(*one.momentum(25), 0.85, 1e-12);
  EXPECT_NEAR(*one.momentum(100), 0.95, 1e-12);
  EXPECT_NEAR(*one.momentum(12), 0.90, 0.01);  // halfway up the rate (cosine): about halfway down
  for (int64_t step = 1; step < 100; ++step) {
    const bool rising = step <= 25;
    EXPECT_EQ(*one.momentum(step) < *one.momentum(step - 1), rising) << step;
    EXPECT_EQ(one.factor(step, 0) > one.factor(step - 1, 0), rising) << step;
  }
  ScheduleSpec own = named("one_cycle");
  own.momentum = {0.9, 0.5};
  EXPECT_NEAR(*Schedule(own, 10, 10).momentum(25), 0.5, 1e-12);
  own.cycle_momentum = false;
  EXPECT_FALSE(Schedule(own, 10, 10).momentum(25).has_value());
  EXPECT_FALSE(Schedule(named("cosine"), 10, 10).momentum(25).has_value());
}

TEST(Schedule, PlateauDecaysAfterPatienceAndResumes) {
  ScheduleSpec p = named("plateau");
  p.patience = 1;
  p.factor = 0.5;
  Schedule s(p, 10, 10);
  s.on_epoch_end(1.0, false);
  s.on_epoch_end(1.1, false);
  EXPECT_DOUBLE_EQ(s.factor(0, 0), 1.0);  // one bad epoch: within patience
  s.on_epoch_end(1.2, false);
  EXPECT_DOUBLE_EQ(s.factor(0, 0), 0.5);
  Schedule resumed(p, 10, 10);
  resumed.load_state(s.save_state());
  EXPECT_DOUBLE_EQ(resumed.factor(0, 0), 0.5);
  EXPECT_EQ(error_of([&] { resumed.load_state("nonsense"); }), "schedule: unreadable saved state 'nonsense'");
  EXPECT_EQ(error_of([] { Schedule(named("linear"), 1, 1); }), "schedule: unknown name 'linear' (constant, step, cosine, one_cycle, plateau)");
}

}  // namespace
}  // namespace fuse::train
