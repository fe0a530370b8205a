#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::fresh_dir;
using testing::run_op;
using testing::values;

NDict features(const std::string& config, const std::string& id) {
  NDict s;
  s.set("data.sample_id", id);
  return run_op("fuse.io.csv_features", config, std::move(s));
}

TEST(CsvFeatures, TheRowOfTheSampleAsAVector) {
  const auto dir = fresh_dir("features");
  std::ofstream(dir / "t.csv") << "id,age,psa,site\np1,61,4.5,2\np2,70,,1\n";
  const std::string file = (dir / "t.csv").string();
  EXPECT_EQ(values<float>(features(R"({"file": ")" + file + R"(", "columns": ["site", "age"]})", "p1").get<Tensor>("data.features")),
            (std::vector<float>{2, 61}));
  EXPECT_EQ(error_of([&] { features(R"({"file": ")" + file + R"(", "columns": ["psa"]})", "p1"); }),
            "op 'fuse.io.csv_features' (plugin 'fuse.io_common'): '" + file +
                "' row 2 column 'psa': '' is not a number (set 'missing': \"nan\" to read empty cells as NaN)");
  const std::vector<float> all = values<float>(features(R"({"file": ")" + file + R"(", "missing": "nan"})", "p2").get<Tensor>("data.features"));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], 70);
  EXPECT_TRUE(std::isnan(all[1]));
}

TEST(CsvFeatures, ProblemsNameTheFileRowAndColumn) {
  const auto dir = fresh_dir("features_bad");
  std::ofstream(dir / "t.csv") << "id,age,psa\np1,61,high\np2,70,\n";
  const std::string file = (dir / "t.csv").string(), prefix = "op 'fuse.io.csv_features' (plugin 'fuse.io_common'): ";
  EXPECT_EQ(error_of([&] { features(R"({"file": ")" + file + R"(", "columns": ["psa"]})", "p1"); }),
            prefix + "'" + file + "' row 1 column 'psa': 'high' is not a number");
  EXPECT_EQ(error_of([&] { features(R"({"file": ")" + file + R"(", "columns": ["age"]})", "p9"); }), prefix + "'" + file + "' has no row for id 'p9'");
  EXPECT_EQ(error_of([&] { features(R"({"file": ")" + file + R"(", "columns": ["weight"]})", "p1"); }),
            prefix + "'" + file + "' has no column 'weight' (columns: id, age, psa)");
}

}  // namespace
}  // namespace fuse
