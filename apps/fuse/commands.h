// The subcommands of `fuse`. Each adds itself to the CLI11 app; the callback it registers returns the exit
// code through `exit_code` (0 success, 1 failure; usage errors are CLI11's, mapped to 2 by main).
#ifndef FUSE_APPS_FUSE_COMMANDS_H_
#define FUSE_APPS_FUSE_COMMANDS_H_

#include <CLI/App.hpp>

namespace fuse::cli {

void add_plugins_command(CLI::App& app, int& exit_code);
void add_op_command(CLI::App& app, int& exit_code);
void add_eval_command(CLI::App& app, int& exit_code);
void add_data_commands(CLI::App& app, int& exit_code);  // data, dataset, cache
void add_init_command(CLI::App& app, int& exit_code);
void add_runs_command(CLI::App& app, int& exit_code);  // trained runs side by side

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_COMMANDS_H_
