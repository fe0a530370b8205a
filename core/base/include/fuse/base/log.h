// The host's log: one line per message on stderr, at the level FUSE_LOG_LEVEL names (warnings and errors by
// default). Free of spdlog's and fmt's headers on purpose: LibTorch 2 ships its own fmt, whose headers must not
// meet the system's in one translation unit (the trainer's), so messages arrive as finished strings. The
// spdlog logger behind it is fuse/base/spdlog_logger.h.
#ifndef FUSE_BASE_LOG_H_
#define FUSE_BASE_LOG_H_

#include <string>

namespace fuse::log {

void info(const std::string& message);
void warn(const std::string& message);

}  // namespace fuse::log

#endif  // FUSE_BASE_LOG_H_
