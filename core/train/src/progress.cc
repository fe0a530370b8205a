#include "progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace fuse::train {

std::string format_seconds(double s) {
  char text[32];
  if (s < 60) std::snprintf(text, sizeof text, "%.1f s", s);
  else std::snprintf(text, sizeof text, "%d:%02d", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return text;
}

ProgressBar::ProgressBar(bool enabled, bool notes) : enabled_(enabled), notes_(notes), terminal_(isatty(STDOUT_FILENO) != 0) {}

void ProgressBar::start(const std::string& what, int64_t total) {
  what_ = what;
  total_ = total;
  start_ = last_ = std::chrono::steady_clock::now();
}

void ProgressBar::update(int64_t done, double loss, double lr) {
  if (!enabled_ || !terminal_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_ - done) : 0;
  const int width = 24, filled = total_ ? static_cast<int>(width * done / total_) : width;
  std::printf("\r%s [%s%s] %lld/%lld loss %.4f lr %.2e eta %s   ", what_.c_str(), std::string(static_cast<size_t>(filled), '#').c_str(),
              std::string(static_cast<size_t>(width - filled), '.').c_str(), static_cast<long long>(done), static_cast<long long>(total_), loss, lr,
              format_seconds(eta).c_str());
  std::fflush(stdout);
}

void ProgressBar::finish() {
  if (enabled_ && terminal_) std::printf("\r%*s\r", 100, "");
}

void ProgressBar::line(const std::string& text) {
  if (enabled_) note(text);
}

void ProgressBar::note(const std::string& text) {
  if (!notes_) return;
  finish();
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

}  // namespace fuse::train
