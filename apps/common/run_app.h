// The exit-code contract of fuse and fuse-train: 0 success, 1 failure (a located error), 2 usage.
#ifndef FUSE_APPS_COMMON_RUN_APP_H_
#define FUSE_APPS_COMMON_RUN_APP_H_

#include <cstdio>
#include <exception>
#include <string>

#include <CLI/App.hpp>

#include "fuse/base/error.h"

namespace fuse::apps {

// One message in one write: the ranks of a distributed run share stderr, and a message written piece by piece
// interleaves with another rank's.
inline void print_error(const std::string& message) {
  const std::string line = message + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

// Parses the command line, which runs the chosen command's callback; returns what it left in `exit_code`, or
// the code of the error it threw, printed to stderr.
inline int run_app(CLI::App& app, int argc, char** argv, const int& exit_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    print_error(std::string("fuse: ") + e.what() + "\nRun 'fuse --help' (or 'fuse <command> --help') for usage.");
    return 2;
  } catch (const fuse::Error& e) {
    print_error(std::string("fuse: error: ") + e.what());
    return 1;
  } catch (const std::exception& e) {
    print_error(std::string("fuse: internal error: ") + e.what());
    return 1;
  }
  return exit_code;
}

}  // namespace fuse::apps

#endif  // FUSE_APPS_COMMON_RUN_APP_H_
