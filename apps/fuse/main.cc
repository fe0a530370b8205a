// fuse: the FuseMedML++ command-line program. Thin: it parses arguments and calls the core.
// Exit codes: 0 success, 1 failure, 2 usage error.
#include <unistd.h>

#include <cstring>
#include <iostream>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>

#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>

#include "../common/run_app.h"

#include "commands.h"
#include "fuse_sdk/fm_plugin.h"

namespace {

std::string version_text() {
  return std::string("fuse ") + FUSE_VERSION + " (plugin ABI " + std::to_string(FM_ABI_VERSION_MAJOR) + "." +
         std::to_string(FM_ABI_VERSION_MINOR) + ")";
}

// The commands that load LibTorch run in fuse-train, next to this program: `fuse` itself stays fast to start.
constexpr const char* kTrainingCommands[] = {"run", "lr-find", "export", "infer", "show-results", "choose-postprocess", "choose-ensemble", "eval-seg"};

int hand_over(int argc, char** argv) {
  const std::filesystem::path train = boost::dll::program_location().parent_path() / "fuse-train";
  std::vector<char*> args{const_cast<char*>(train.c_str())};
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(train.c_str(), args.data());
  std::cerr << "fuse: error: cannot start " << train.string() << " (for '" << argv[1] << "'): " << std::strerror(errno) << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1)
    for (const char* command : kTrainingCommands)
      if (std::strcmp(argv[1], command) == 0) return hand_over(argc, argv);
  CLI::App app{"FuseMedML++: build, train, evaluate and ship medical ML models.", "fuse"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  int exit_code = 0;
  fuse::cli::add_plugins_command(app, exit_code);
  fuse::cli::add_op_command(app, exit_code);
  fuse::cli::add_eval_command(app, exit_code);
  fuse::cli::add_data_commands(app, exit_code);
  fuse::cli::add_init_command(app, exit_code);
  fuse::cli::add_runs_command(app, exit_code);
  // Listed for --help; they run in fuse-train (see hand_over).
  app.add_subcommand("run", "Train an experiment end to end (data, model, losses, metrics, checkpoints, report)");
  app.add_subcommand("lr-find", "Learning-rate range test with a suggestion and a plot");
  app.add_subcommand("export", "Write a self-contained bundle of a trained run");
  app.add_subcommand("infer", "Predict with a bundle, writing results in the input's original geometry");
  app.add_subcommand("show-results", "Draw a run's validation samples with their target and predicted masks, loss and metrics");
  app.add_subcommand("choose-postprocess", "Measure on the validation cases whether keeping the largest connected components helps; fuse export applies what does");
  app.add_subcommand("choose-ensemble", "Compare trained configurations (e.g. 3D and 2D UNets) and each pair's ensemble on their validation cases; choose the best");
  app.add_subcommand("eval-seg", "Score a folder of segmentations from any tool against a folder of references, per case and on average");
  return fuse::apps::run_app(app, argc, argv, exit_code);
}
