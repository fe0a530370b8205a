// The spdlog logger ("fuse", stderr) behind fuse/base/log.h, for the code that needs spdlog itself: the plugin
// API's log call (levels) and tests that attach a sink. Everything else logs through fuse/base/log.h.
#ifndef FUSE_BASE_SPDLOG_LOGGER_H_
#define FUSE_BASE_SPDLOG_LOGGER_H_

#include <spdlog/logger.h>

namespace fuse {

spdlog::logger& logger();

}  // namespace fuse

#endif  // FUSE_BASE_SPDLOG_LOGGER_H_
