// fuse op run OP_ID --set key=value ... --input sample.json: one op on one sample, for plugin authors.
#include <fstream>
#include <iostream>
#include <iterator>


#include "commands.h"
#include "fuse/base/error.h"
#include "fuse/json/document.h"
#include "fuse/json/ndict_json.h"
#include "fuse/json/setting.h"
#include "fuse/json/write.h"
#include "fuse/plugin/registry.h"

namespace fuse::cli {
namespace {

namespace bj = boost::json;

int run(const std::string& id, const std::vector<std::string>& settings, const std::string& config_file,
        const std::string& input, const std::string& output) {
  bj::object config;
  if (!config_file.empty()) {
    json::Document d = json::Document::load(config_file);
    if (!d.root().is_object()) throw Error(Errc::kConfig, config_file + ": the config must be a JSON object");
    config = d.root().as_object();
  }
  for (const std::string& text : settings) {
    json::Setting s = json::parse_setting(text);
    config[s.name] = std::move(s.value);
  }

  NDict sample;
  if (!input.empty()) {
    json::Document d = input == "-" ? json::Document::parse(std::string(std::istreambuf_iterator<char>(std::cin), {}), "<stdin>")
                                    : json::Document::load(input);
    if (!d.root().is_object()) throw Error(Errc::kConfig, d.source() + ": the sample must be a JSON object");
    try {
      sample = json::ndict_from_json(d.root().as_object(), json::FromJsonOptions{true});
    } catch (const Error& e) {
      throw Error(e.code(), d.source() + ": " + e.what());
    }
  }
  Registry registry;
  Op op = registry.create_op(id, config);
  op.forward(sample);
  const std::string text = json::to_text(json::to_json(sample), {2}) + "\n";
  if (output.empty() || output == "-") {
    std::cout << text;
  } else {
    std::ofstream out(output);
    out << text;
    if (!out) throw Error(Errc::kIo, "cannot write '" + output + "'");
  }
  return 0;
}

}  // namespace

void add_op_command(CLI::App& app, int& exit_code) {
  CLI::App* op = app.add_subcommand("op", "Run a single op (for plugin authors)");
  op->require_subcommand(1);
  CLI::App* run_cmd = op->add_subcommand("run", "Run one op on one sample and print the result as JSON");
  static std::string id, config_file, input, output;
  static std::vector<std::string> settings;
  run_cmd->add_option("OP_ID", id, "the op's component id, e.g. fuse.ops.zscore")->required();
  run_cmd->add_option("--set", settings, "a config value, name=value (JSON or plain text); repeat for more");
  run_cmd->add_option("--config", config_file, "a JSON file with the op's config (--set values override it)");
  run_cmd->add_option("--input", input,
                      "the sample as JSON ('-' for stdin); arrays of numbers become tensors, {\"$tensor\": {dtype, "
                      "shape, data}} gives any dtype");
  run_cmd->add_option("--output", output, "write the result here instead of stdout");
  run_cmd->callback([&] { exit_code = run(id, settings, config_file, input, output); });
}

}  // namespace fuse::cli
