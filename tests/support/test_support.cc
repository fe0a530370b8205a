#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>

#include <boost/json/parse.hpp>

#include "fuse/json/ndict_json.h"
#include "temp_dirs.h"

namespace fuse::testing {

std::filesystem::path built_plugin_dir() { return FUSE_TEST_PLUGIN_DIR; }

const Registry& built_plugins() {
  static const Registry registry(Registry::Options{{built_plugin_dir()}, {}});
  return registry;
}

boost::json::object json_object(std::string_view text) { return boost::json::parse(text).as_object(); }

NDict sample(std::string_view json) { return json::ndict_from_json(json_object(json), json::FromJsonOptions{true}); }

NDict sample64(std::string_view json) {
  return json::ndict_from_json(json_object(json), json::FromJsonOptions{true, sdk::kFloat64});
}

NDict run_op(std::string_view id, std::string_view config, NDict input) {
  Op op = built_plugins().create_op(id, json_object(config));
  op.forward(input);
  return input;
}

NDict run_op_training(std::string_view id, std::string_view config, NDict input, uint64_t seed) {
  Op op = built_plugins().create_op(id, json_object(config));
  op.forward(input, CallContext{true, seed, 0, 0});
  return input;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::map<std::string, std::string>> csv_rows(const std::filesystem::path& file) {
  std::istringstream text(read_text(file));
  std::string line;
  std::getline(text, line);
  std::vector<std::string> columns;
  std::istringstream header(line);
  for (std::string c; std::getline(header, c, ',');) columns.push_back(c);
  std::vector<std::map<std::string, std::string>> out;
  while (std::getline(text, line)) {
    std::istringstream cells(line);
    std::map<std::string, std::string> row;
    for (const std::string& c : columns) std::getline(cells, row[c], ',');
    out.push_back(row);
  }
  return out;
}

std::pair<uint32_t, uint32_t> png_size(const std::filesystem::path& png) {
  const std::string bytes = read_text(png);
  if (bytes.size() < 24 || bytes.compare(1, 3, "PNG") != 0) return {0, 0};
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
    return v;
  };
  return {be32(16), be32(20)};  // the IHDR chunk's width and height
}

void write_npy(const std::filesystem::path& file, const std::string& dict, const std::string& data) {
  // Magic, version 1.0, the header's length, the dict padded with spaces to a multiple of 64 bytes, the data.
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(file, std::ios::binary);
  out << "\x93NUMPY" << '\x01' << '\x00';
  const uint16_t length = static_cast<uint16_t>(header.size());
  out.write(reinterpret_cast<const char*>(&length), 2);
  out << header << data;
}

std::filesystem::path fresh_dir(const std::string& name) { return TempDirs::get().make(name); }

CommandResult run_command(const std::string& command) {
  static int counter = 0;
  const std::filesystem::path err_file =
      std::filesystem::temp_directory_path() / ("fuse_test_stderr_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
  CommandResult result;
  FILE* pipe = popen(("(" + command + ") 2>'" + err_file.string() + "'").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_file);
  std::stringstream text;
  text << err.rdbuf();
  result.err = text.str();
  std::filesystem::remove(err_file);
  return result;
}

Tensor ramp(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0f);
  return Tensor::from_vector(v, shape);
}

}  // namespace fuse::testing
