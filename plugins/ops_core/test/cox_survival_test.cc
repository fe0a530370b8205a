#include <cmath>

#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

// Baseline: H0 = 0.1 from time 1, 0.3 from 2, 0.6 from 4.
constexpr const char* kBaseline = R"("baseline_times": [1, 2, 4], "baseline_hazard": [0.1, 0.3, 0.6])";

std::string config(const std::string& more) { return std::string(R"({"key": "r", "out": "s", )") + kBaseline + ", " + more + "}"; }

// S(t | risk) = exp(-H0(t) * exp(risk)), H0 a step function: 0 before the first time, its last value after
// the last.
TEST(CoxSurvival, ProbabilityOfNoEventByATime) {
  NDict s = sample(R"({"r": [0, 1, -1]})");
  const auto at = [&](double h) { return values<float>(run_op("fuse.ops.cox_survival", config("\"survival_at\": " + std::to_string(h)), s).get<Tensor>("s")); };
  std::vector<float> v = at(3);  // H0(3) = 0.3
  EXPECT_FLOAT_EQ(v[0], static_cast<float>(std::exp(-0.3)));
  EXPECT_FLOAT_EQ(v[1], static_cast<float>(std::exp(-0.3 * std::exp(1.0))));
  EXPECT_FLOAT_EQ(v[2], static_cast<float>(std::exp(-0.3 * std::exp(-1.0))));
  EXPECT_EQ(at(0.5), (std::vector<float>{1, 1, 1}));
  EXPECT_FLOAT_EQ(at(2)[0], static_cast<float>(std::exp(-0.3)));  // a step at 2 counts by 2
  EXPECT_FLOAT_EQ(at(100)[0], static_cast<float>(std::exp(-0.6)));
  // [N, 1] risks (a model's one output) give [N]; float64 stays float64; a number gives a number.
  NDict out = run_op("fuse.ops.cox_survival", config(R"("survival_at": 4)"), sample(R"({"r": {"$tensor": {"dtype": "float64", "shape": [2, 1], "data": [0, 2]}}})"));
  EXPECT_EQ(out.get<Tensor>("s").description(), "float64[2]");
  EXPECT_DOUBLE_EQ(values<double>(out.get<Tensor>("s"))[1], std::exp(-0.6 * std::exp(2.0)));
  EXPECT_DOUBLE_EQ(run_op("fuse.ops.cox_survival", config(R"("survival_at": 1)"), sample(R"({"r": 0.5})")).get<double>("s"), std::exp(-0.1 * std::exp(0.5)));
}

TEST(CoxSurvival, CurveAtSeveralTimes) {
  NDict out = run_op("fuse.ops.cox_survival", config(R"("survival_times": [0, 1, 3, 5])"), sample(R"({"r": [[0], [1]]})"));
  const Tensor& curve = out.get<Tensor>("s");
  EXPECT_EQ(curve.description(), "float32[2, 4]");
  const std::vector<float> c = values<float>(curve);
  const std::vector<double> h0{0, 0.1, 0.3, 0.6};
  for (size_t j = 0; j < 4; ++j) {
    EXPECT_FLOAT_EQ(c[j], static_cast<float>(std::exp(-h0[j]))) << j;
    EXPECT_FLOAT_EQ(c[4 + j], static_cast<float>(std::exp(-h0[j] * std::exp(1.0)))) << j;
  }
  // Higher risk, lower survival; later, lower survival.
  EXPECT_LT(c[6], c[2]);
  EXPECT_LT(c[3], c[2]);
}

TEST(CoxSurvival, RefusesBadConfigsAndRisks) {
  const std::string op = "op 'fuse.ops.cox_survival' (plugin 'fuse.ops_core'): ";
  const auto create_error = [](const std::string& c) { return error_of([&] { run_op("fuse.ops.cox_survival", c, sample(R"({"r": [0]})")); }); };
  EXPECT_EQ(create_error(R"({"key": "r", "out": "s", "survival_at": 5})"),
            op + "create failed: 'baseline_times' and 'baseline_hazard' are not set: mark the step \"fit\": {\"time\": TIME KEY, \"event\": EVENT KEY} to fit "
                 "them to the trained model's risks on the training samples (Breslow), or give both");
  EXPECT_EQ(create_error(R"({"key": "r", "out": "s", "survival_at": 5, "baseline_times": [1, 2], "baseline_hazard": [0.1]})"),
            op + "create failed: 'baseline_times' has 2 times but 'baseline_hazard' 1 values; they pair up");
  EXPECT_EQ(create_error(R"({"key": "r", "out": "s", "survival_at": 5, "baseline_times": [2, 1], "baseline_hazard": [0.1, 0.2]})"),
            op + "create failed: 'baseline_times' must be finite, >= 0 and increasing; time 1 is 1");
  EXPECT_EQ(create_error(R"({"key": "r", "out": "s", "survival_at": 5, "baseline_times": [1, 2], "baseline_hazard": [0.2, 0.1]})"),
            op + "create failed: 'baseline_hazard' is a cumulative hazard: finite, >= 0 and not decreasing; value 1 is 0.1");
  EXPECT_EQ(create_error(std::string(R"({"key": "r", "out": "s", )") + kBaseline + "}"), op + "create failed: set 'survival_at' (the probability of no event by that time) or 'survival_times' (a curve)");
  EXPECT_EQ(create_error(config(R"("survival_at": 1, "survival_times": [1])")),
            op + "create failed: 'survival_at' and 'survival_times' exclude each other: one output per step");
  EXPECT_EQ(create_error(config(R"("survival_times": [])")), op + "create failed: 'survival_times' is empty; give the times of the curve");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.cox_survival", config(R"("survival_at": 1)"), sample(R"({"r": [[0, 1]]})")); }),
            op + "key 'r': one risk score per row is needed ([N] or [N, 1]), got shape [1, 2]");
  EXPECT_EQ(error_of([] {
              NDict s;
              s.set("r", Tensor::from_vector<float>({0, std::nanf("")}, {2}));
              run_op("fuse.ops.cox_survival", config(R"("survival_at": 1)"), s);
            }),
            op + "key 'r': row 1 has the risk nan");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.cox_survival", config(R"("survival_times": [1, 2])"), sample(R"({"r": 0.5})")); }),
            op + "key 'r' holds a number; a curve ('survival_times') needs a tensor of risks");
}

}  // namespace
}  // namespace fuse::testing
