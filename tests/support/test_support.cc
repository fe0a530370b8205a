#include "test_support.h"

#include <boost/json/parse.hpp>

#include "fuse/json/ndict_json.h"

namespace fuse::testing {

std::filesystem::path built_plugin_dir() { return FUSE_TEST_PLUGIN_DIR; }

const Registry& built_plugins() {
  static const Registry registry(Registry::Options{{built_plugin_dir()}, {}});
  return registry;
}

boost::json::object json_object(std::string_view text) { return boost::json::parse(text).as_object(); }

NDict sample(std::string_view json) { return json::ndict_from_json(json_object(json), json::FromJsonOptions{true}); }

NDict run_op(std::string_view id, std::string_view config, NDict input) {
  Op op = built_plugins().create_op(id, json_object(config));
  op.forward(input);
  return input;
}

std::filesystem::path fresh_dir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("fuse_test_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace fuse::testing
