// The exit-code contract of fuse and fuse-train: 0 success, 1 failure (a located error), 2 usage.
#ifndef FUSE_APPS_COMMON_RUN_APP_H_
#define FUSE_APPS_COMMON_RUN_APP_H_

#include <exception>
#include <iostream>

#include <CLI/App.hpp>

#include "fuse/base/error.h"

namespace fuse::apps {

// Parses the command line, which runs the chosen command's callback; returns what it left in `exit_code`, or
// the code of the error it threw, printed to stderr.
inline int run_app(CLI::App& app, int argc, char** argv, const int& exit_code) {
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

}  // namespace fuse::apps

#endif  // FUSE_APPS_COMMON_RUN_APP_H_
