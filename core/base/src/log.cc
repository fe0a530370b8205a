#include "fuse/base/log.h"

#include <cstdlib>
#include <memory>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "fuse/base/spdlog_logger.h"

namespace fuse {

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto log = spdlog::stderr_color_mt("fuse");
    log->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
    // FUSE_LOG_LEVEL=debug|info|warn|error|off; warnings and errors by default.
    const char* level = std::getenv("FUSE_LOG_LEVEL");
    log->set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::warn);
    return log;
  }();
  return *instance;
}

namespace log {

// "{}" with the message as its argument: a message holding braces is printed as it is.
void info(const std::string& message) { logger().info("{}", message); }
void warn(const std::string& message) { logger().warn("{}", message); }

}  // namespace log
}  // namespace fuse
