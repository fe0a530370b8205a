// Whether two configurations differ beyond their runs' spread: a difference of means with its interval and
// p-value from Student's t. For repeated seeds (independent runs of each) Welch's test; for cross-validations on
// the same folds the paired test with Nadeau and Bengio's correction, since folds that share training cases
// are not independent (the plain paired t-test's intervals are then too narrow).
#ifndef FUSE_EVAL_T_TEST_H_
#define FUSE_EVAL_T_TEST_H_

#include <vector>

namespace fuse::eval {

struct TTest {
  double difference = 0;          // mean of b minus mean of a
  double lower = 0, upper = 0;    // its interval at the level asked
  double p = 0;                   // two-sided p-value of no difference
  double df = 0;                  // degrees of freedom
};

// Welch's unequal-variance t-test of mean(b) - mean(a) (Welch–Satterthwaite degrees of freedom). Each needs at
// least two values and together a spread above zero; otherwise an error (kInvalidArgument) saying why.
TTest welch_t_test(const std::vector<double>& a, const std::vector<double>& b, double level = 0.95);

// The paired t-test of b[i] - a[i] (the same folds), its variance multiplied by `correction` / (1 / n) — pass
// 1 / n + test / train (Nadeau and Bengio: 1 / k + 1 / (k - 1) for k folds) for cross-validation, or 1 / n for
// the plain test. At least two pairs of equal count, and differences that vary; otherwise an error.
TTest paired_t_test(const std::vector<double>& a, const std::vector<double>& b, double correction, double level = 0.95);

}  // namespace fuse::eval

#endif  // FUSE_EVAL_T_TEST_H_
