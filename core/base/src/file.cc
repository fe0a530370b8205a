#include "fuse/base/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "fuse/base/error.h"

namespace fuse {

namespace fs = std::filesystem;

void write_file_atomically(const fs::path& file, std::string_view bytes) { write_file_atomically(file, {bytes}); }

void write_file_atomically(const fs::path& file, std::initializer_list<std::string_view> parts) {
  static std::atomic<uint64_t> calls{0};
  const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(calls++);
  const auto fail = [&](const std::string& why) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw Error(Errc::kIo, "cannot write '" + file.string() + "': " + why);
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(std::strerror(errno));
  for (const std::string_view bytes : parts)
    for (const char* p = bytes.data(); p < bytes.data() + bytes.size();) {
      const ssize_t n = ::write(fd, p, static_cast<size_t>(bytes.data() + bytes.size() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        fail(why);
      }
      p += n;
    }
  // Flushed before the rename: after a crash the name holds the old file or the new one.
  if (::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    fail(why);
  }
  if (::close(fd) != 0) fail(std::strerror(errno));
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) fail(ec.message());
}

}  // namespace fuse
