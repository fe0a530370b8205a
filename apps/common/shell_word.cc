#include "shell_word.h"

namespace fuse::cli {

std::string shell_word(const std::string& a) {
  if (!a.empty() && a.find_first_of(" \t\"'$`\\[]{}*?&;|<>()!#~") == std::string::npos) return a;
  std::string q = "'";
  for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace fuse::cli
