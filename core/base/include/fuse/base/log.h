// The host's log: one spdlog logger ("fuse") writing to stderr. Plugins reach it through fm_api_v1.log.
#ifndef FUSE_BASE_LOG_H_
#define FUSE_BASE_LOG_H_

#include <spdlog/logger.h>

namespace fuse {

spdlog::logger& logger();

}  // namespace fuse

#endif  // FUSE_BASE_LOG_H_
