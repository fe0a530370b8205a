#include "write_text.h"

#include <fstream>

#include "fuse/base/error.h"

namespace fuse::train {

void write_text(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw Error(Errc::kIo, "cannot write '" + tmp.string() + "'");
  }
  std::filesystem::rename(tmp, file);
}

}  // namespace fuse::train
