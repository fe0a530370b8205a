#include "report_loader.h"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <boost/json/serialize.hpp>

#include "fuse/base/error.h"

namespace fuse::cli {

void write_html_report(const boost::json::object& results, const std::string& path, const std::string& title) {
  // <prefix>/bin/fuse finds <prefix>/lib/libfuse_report.so (the build tree has the same layout).
  const std::filesystem::path library = boost::dll::program_location().parent_path().parent_path() / "lib" / "libfuse_report.so";
  boost::dll::shared_library lib;
  try {
    lib.load(library, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw Error(Errc::kIo, "the HTML report needs " + library.string() + " (built with OpenCV), which cannot be opened: " + e.what());
  }
  auto write = lib.get<int(const char*, const char*, const char*, char*, unsigned long)>("fuse_write_html_report");
  char error[1024] = "";
  if (write(boost::json::serialize(results).c_str(), path.c_str(), title.c_str(), error, sizeof(error)) != 0)
    throw Error(Errc::kIo, std::string("cannot write the HTML report: ") + error);
}

}  // namespace fuse::cli
