// fuse: the FuseMedML++ command-line program. Thin: it parses arguments and calls the core.
// Exit codes: 0 success, 1 failure, 2 usage error.
#include <iostream>

#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>

#include "commands.h"
#include "fuse/base/error.h"
#include "fuse_sdk/fm_plugin.h"

namespace {

std::string version_text() {
  return std::string("fuse ") + FUSE_VERSION + " (plugin ABI " + std::to_string(FM_ABI_VERSION_MAJOR) + "." +
         std::to_string(FM_ABI_VERSION_MINOR) + ")";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"FuseMedML++: build, train, evaluate and ship medical ML models.", "fuse"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  int exit_code = 0;
  fuse::cli::add_plugins_command(app, exit_code);
  fuse::cli::add_op_command(app, exit_code);
  fuse::cli::add_eval_command(app, exit_code);
  fuse::cli::add_data_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::cerr << "fuse: " << e.what() << "\n"
              << "Run 'fuse --help' (or 'fuse <command> --help') for usage.\n";
    return 2;
  } catch (const fuse::Error& e) {
    std::cerr << "fuse: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "fuse: internal error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
