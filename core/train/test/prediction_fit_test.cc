#include "fuse/train/prediction_fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "fuse/data/fit.h"
#include "test_support.h"

namespace fuse::train {
namespace {

using fuse::testing::built_plugins;
using fuse::testing::error_of;

// At time 1: every row at risk (1 + 2 + 1 + 1), one event (the censored row at 1 still counts): 1/5. At 2: rows
// 3 and 4 (1 + 1), one event: 1/2, so 0.7 cumulated. At 3: no event, no step.
TEST(Breslow, EventsOverTheRiskSetsSumOfHazardRatios) {
  const BreslowBaseline b = breslow_baseline({0, std::log(2.0), 0, 0}, {1, 1, 2, 3}, {1, 0, 1, 0});
  EXPECT_EQ(b.times, (std::vector<double>{1, 2}));
  ASSERT_EQ(b.hazard.size(), 2u);
  EXPECT_DOUBLE_EQ(b.hazard[0], 0.2);
  EXPECT_DOUBLE_EQ(b.hazard[1], 0.7);
  // Tied events count together; the rows' order does not matter.
  const BreslowBaseline tied = breslow_baseline({0, 0, 0}, {2, 1, 1}, {1, 1, 1});
  EXPECT_EQ(tied.times, (std::vector<double>{1, 2}));
  EXPECT_DOUBLE_EQ(tied.hazard[0], 2.0 / 3);
  EXPECT_DOUBLE_EQ(tied.hazard[1], 2.0 / 3 + 1);
  // Risks shifted by c scale the baseline by exp(-c) (the survival probabilities stay the same).
  const BreslowBaseline shifted = breslow_baseline({300, 300 + std::log(2.0), 300, 300}, {1, 1, 2, 3}, {1, 0, 1, 0});
  EXPECT_NEAR(std::log(shifted.hazard[1]) + 300, std::log(0.7), 1e-9);
}

TEST(Breslow, RefusesRowsItCannotUse) {
  EXPECT_EQ(error_of([] { breslow_baseline({0, 0}, {1, 2}, {0, 0}); }), "none of the 2 rows has an event, so there is no baseline hazard to estimate");
  EXPECT_EQ(error_of([] { breslow_baseline({0, std::nan("")}, {1, 2}, {1, 0}); }), "row 1 has the risk nan");
  EXPECT_EQ(error_of([] { breslow_baseline({0, 0}, {1, -2}, {1, 0}); }), "row 1 has the time -2, not a time >= 0");
  EXPECT_EQ(error_of([] { breslow_baseline({0, 0}, {1, 2}, {1, 2}); }), "row 1 has the event 2; events are 0 or 1");
  EXPECT_EQ(error_of([] { breslow_baseline({0}, {1, 2}, {1, 0}); }), "Breslow baseline: 1 risks, 2 times and 2 events; one of each per row");
}

data::Step step(const std::string& op, const std::string& config, const std::string& time = "data.time", const std::string& event = "data.event") {
  data::Step s{op, fuse::testing::json_object(config), {}, "exp.json:3:5", {}};
  s.fit = data::StepFit{};
  s.fit->time = time;
  s.fit->event = event;
  return s;
}

// A batch of rows with a risk, a time (a tensor) and an event (a table's column: a list).
NDict batch(const std::vector<float>& risk, const std::vector<float>& time, const List& event) {
  NDict b;
  b.set("model.risk", Tensor::from_vector<float>(risk, {static_cast<int64_t>(risk.size()), 1}));
  b.set("data.time", Tensor::from_vector<float>(time, {static_cast<int64_t>(time.size())}));
  b.set("data.event", event);
  return b;
}

// Rows gathered over batches give the baseline, which becomes the step's config (and only its steps').
TEST(PredictionFits, GatherBatchesAndSetTheFittedFields) {
  std::vector<data::Step> steps{data::Step{"fuse.ops.select", fuse::testing::json_object(R"({"key": "a", "out": "b", "axis": 0, "index": 0})"), {}, "", {}},
                                step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "model.s", "survival_at": 2})")};
  EXPECT_EQ(without_awaiting(built_plugins(), steps).size(), 1u);
  PredictionFits fits(built_plugins(), steps, "postprocess");
  ASSERT_FALSE(fits.empty());
  fits.add(batch({0, static_cast<float>(std::log(2.0))}, {1, 1}, List{Value(int64_t{1}), Value(int64_t{0})}), {"a", "b"});
  fits.add(batch({0, 0}, {2, 3}, List{Value(int64_t{1}), Value(int64_t{0})}), {"c", "d"});
  const std::vector<std::string> lines = fits.finish(steps);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "fitted postprocess step 2 (exp.json:3:5): fuse.ops.cox_survival on 'model.risk': Breslow baseline hazard at 2 event times from 4 "
                      "training samples (cumulative hazard 0.7 by 2)");
  const boost::json::object& config = steps[1].config;
  EXPECT_EQ(config.at("baseline_times"), (boost::json::array{1.0, 2.0}));
  ASSERT_EQ(config.at("baseline_hazard").as_array().size(), 2u);
  EXPECT_NEAR(config.at("baseline_hazard").as_array()[1].as_double(), 0.7, 1e-7);
  EXPECT_TRUE(steps[1].fit->done);
  EXPECT_EQ(without_awaiting(built_plugins(), steps).size(), 2u);
  EXPECT_TRUE(PredictionFits(built_plugins(), steps, "postprocess").empty());
  // Inference's own postprocess takes the fit of the step written the same way.
  std::vector<data::Step> inference{step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "model.s", "survival_at": 2})")};
  inference[0].fit->signature = steps[1].fit->signature = boost::json::object{{"op", "fuse.ops.cox_survival"}};
  data::copy_fits(steps, inference, "inference's postprocess", "'postprocess'");
  EXPECT_EQ(inference[0].config, steps[1].config);
  inference[0].fit->done = false;
  EXPECT_EQ(error_of([&] { data::copy_fits({}, inference, "inference's postprocess", "'postprocess'"); }),
            "inference's postprocess step 1 (exp.json:3:5): 'fuse.ops.cox_survival' is marked 'fit', but 'postprocess' has no step written the same way (op, "
            "config, repeat and mask) whose values it could take: write the step there too");
  // A finished run's config.json gives its values to a step read again from the experiment.
  std::vector<data::Step> again{step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "model.s", "survival_at": 2})")};
  again[0].pointer = "/postprocess/0";
  take_prediction_fits(built_plugins(), boost::json::object{{"postprocess", boost::json::array{boost::json::object{{"op", "x"}}}}}, again);
  EXPECT_FALSE(again[0].fit->done);  // not fitted by that run
  boost::json::object written = config;
  take_prediction_fits(built_plugins(), boost::json::object{{"postprocess", boost::json::array{written}}}, again);
  EXPECT_TRUE(again[0].fit->done);
  EXPECT_EQ(again[0].config.at("baseline_hazard"), config.at("baseline_hazard"));
}

// The epochs' metrics run before the fit: one reading the step's output is refused; the evaluation may.
TEST(PredictionFits, AMetricOfTheEpochsCannotReadAFittedStepsOutput) {
  const std::vector<data::Step> steps{step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "model.s", "survival_at": 2})")};
  MetricSpec m{"brier", "fuse.metrics.survival_brier", fuse::testing::json_object(R"({"pred": "model.s", "horizon": 2})"), "", true, true, "exp.json:9:5"};
  EXPECT_EQ(error_of([&] { refuse_metrics_reading_awaiting(built_plugins(), steps, {m}); }),
            "exp.json:9:5: metric 'brier' reads 'model.s', which the postprocess writes only once training ends (fitted to the trained model's outputs): "
            "step 'fuse.ops.cox_survival' (exp.json:3:5); score it in 'evaluation' instead");
  m.config = fuse::testing::json_object(R"({"pred": "model.risk"})");
  refuse_metrics_reading_awaiting(built_plugins(), steps, {m});  // the risk itself is the model's
}

// A step that reads what a fitted step makes waits with it: left out of the epochs, named where a metric reads it.
TEST(PredictionFits, AStepReadingAFittedStepsOutputWaitsForTheFit) {
  const std::vector<data::Step> steps{
      step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "model.curve", "survival_times": [1, 3]})"),
      data::Step{"fuse.ops.select", fuse::testing::json_object(R"({"key": "model.curve", "out": "model.free_3", "axis": 1, "index": 1})"), {}, "exp.json:4:5", {}},
      data::Step{"fuse.ops.select", fuse::testing::json_object(R"({"key": "model.free_3", "out": "model.again", "axis": 0, "index": 0})"), {}, "exp.json:5:5", {}},
      data::Step{"fuse.ops.select", fuse::testing::json_object(R"({"key": "model.risk", "out": "model.r", "axis": 1, "index": 0})"), {}, "exp.json:6:5", {}}};
  EXPECT_EQ(waiting_for_prediction_fit(built_plugins(), steps),
            (std::vector<std::string>{"'fuse.ops.cox_survival' (exp.json:3:5)",
                                      "'fuse.ops.select' (exp.json:4:5), which reads 'model.curve' from 'fuse.ops.cox_survival' (exp.json:3:5)",
                                      "'fuse.ops.select' (exp.json:5:5), which reads 'model.free_3' from 'fuse.ops.select' (exp.json:4:5), which reads "
                                      "'model.curve' from 'fuse.ops.cox_survival' (exp.json:3:5)",
                                      ""}));
  const std::vector<data::Step> kept = without_awaiting(built_plugins(), steps);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].where, "exp.json:6:5");
  MetricSpec m{"brier", "fuse.metrics.survival_brier", fuse::testing::json_object(R"({"pred": "model.free_3", "horizon": 3})"), "", true, true, "exp.json:9:5"};
  EXPECT_EQ(error_of([&] { refuse_metrics_reading_awaiting(built_plugins(), steps, {m}); }),
            "exp.json:9:5: metric 'brier' reads 'model.free_3', which the postprocess writes only once training ends (fitted to the trained model's "
            "outputs): step 'fuse.ops.select' (exp.json:4:5), which reads 'model.curve' from 'fuse.ops.cox_survival' (exp.json:3:5); score it in "
            "'evaluation' instead");
}

TEST(PredictionFits, RefusalsNameTheStep) {
  const std::string where = "postprocess step 1 (exp.json:3:5): ";
  EXPECT_EQ(error_of([] { PredictionFits(built_plugins(), {step("fuse.ops.zscore", R"({"keys": ["model.risk"]})")}, "postprocess"); }),
            where + "'fit': {\"time\", \"event\"} fits a step to the trained model's outputs, but op 'fuse.ops.zscore' fits nothing of them (its manifest's "
                    "'fit' names no breslow_* statistic); fuse.ops.cox_survival does");
  EXPECT_EQ(error_of([] {
              PredictionFits(built_plugins(), {step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "s", "survival_at": 2, "baseline_times": [1]})")},
                             "postprocess");
            }),
            where + "'baseline_times' is given and 'fit' would set it to the breslow_times of the trained model's outputs: remove one of them");
  const std::vector<data::Step> steps{step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "s", "survival_at": 2})", "data.years")};
  EXPECT_EQ(error_of([&] { PredictionFits(built_plugins(), steps, "postprocess").add(batch({0}, {1}, List{Value(int64_t{1})}), {"a"}); }),
            where + "fitting 'fuse.ops.cox_survival' to the trained model's outputs on the training samples: key 'data.years': key 'data.years' missing; "
                    "present: model, model.risk, data, data.time, data.event");
  EXPECT_EQ(error_of([] {
              PredictionFits(built_plugins(), {step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "s", "survival_at": 2})")}, "postprocess")
                  .add(batch({0, 0}, {1, -1}, List{Value(int64_t{1}), Value(int64_t{0})}), {"a", "b"});
            }),
            where + "fitting 'fuse.ops.cox_survival' to the trained model's outputs on the training samples: key 'data.time': sample 'b' has the time -1; "
                    "times are >= 0 (a source's \"required\" leaves rows with empty cells out)");
  const auto add_error = [](const NDict& b) {
    return error_of([&] {
      PredictionFits(built_plugins(), {step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "s", "survival_at": 2})")}, "postprocess").add(b, {"a", "b"});
    });
  };
  const std::string fitting = where + "fitting 'fuse.ops.cox_survival' to the trained model's outputs on the training samples: ";
  EXPECT_EQ(add_error(batch({0, 0}, {1, 2}, List{Value(int64_t{1}), Value(int64_t{2})})),
            fitting + "key 'data.event': sample 'b' has the event 2; events are 0 or 1");
  EXPECT_EQ(add_error(batch({0, std::nanf("")}, {1, 2}, List{Value(int64_t{1}), Value(int64_t{0})})), fitting + "key 'model.risk': sample 'b' has the output nan");
  EXPECT_EQ(add_error(batch({0, 0}, {1, std::nanf("")}, List{Value(int64_t{1}), Value(int64_t{0})})),
            fitting + "key 'data.time': sample 'b' has the time nan; times are >= 0 (a source's \"required\" leaves rows with empty cells out)");
  EXPECT_EQ(add_error(batch({0, 0, 0}, {1, 2, 3}, List{Value(int64_t{1}), Value(int64_t{0}), Value(int64_t{0})})),
            fitting + "key 'model.risk': it has 3 values for a batch of 2");
  EXPECT_EQ(error_of([] {
              std::vector<data::Step> s{step("fuse.ops.cox_survival", R"({"key": "model.risk", "out": "s", "survival_at": 2})")};
              PredictionFits fits(built_plugins(), s, "postprocess");
              fits.add(batch({0, 0}, {1, 2}, List{Value(int64_t{0}), Value(int64_t{0})}), {"a", "b"});
              fits.finish(s);
            }),
            where + "fitting 'fuse.ops.cox_survival' to the trained model's 'model.risk' on the 2 training samples: none of the 2 rows has an event, so "
                    "there is no baseline hazard to estimate");
}

}  // namespace
}  // namespace fuse::train
