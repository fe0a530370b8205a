// The plugins built in this tree plus the test kit (ops that count their runs, fail on one sample, echo seeds).
#ifndef FUSE_DATA_TEST_TEST_REGISTRY_H_
#define FUSE_DATA_TEST_TEST_REGISTRY_H_

#include <fstream>
#include <string>

#include "fuse/data/pipeline.h"
#include "fuse/plugin/registry.h"
#include "test_support.h"

namespace fuse::data::testing {

inline const Registry& registry() {
  static const Registry r(Registry::Options{{fuse::testing::built_plugin_dir(), std::string(FUSE_TEST_PLUGIN_ROOT) + "/testkit"}, {}});
  return r;
}

inline Step step(std::string op, std::string_view config = "{}", std::string where = "") {
  return Step{std::move(op), fuse::testing::json_object(config), {}, std::move(where), {}};
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace fuse::data::testing

#endif  // FUSE_DATA_TEST_TEST_REGISTRY_H_
