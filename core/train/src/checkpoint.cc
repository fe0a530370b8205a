#include "fuse/train/checkpoint.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/json/serialize.hpp>
#include <xxhash.h>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/json/parse.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

// Layout: "FCKPT1\n", the checksum (xxh3 of the rest, 16 hex digits) and a newline, the header's length and
// a newline, the header (JSON: info and each section's name, offset and size), then the sections' bytes.
namespace {
constexpr char kMagic[] = "FCKPT1\n";
}

std::string checkpoint_bytes(const Checkpoint& c) {
  std::string blobs;
  bj::array sections;
  auto add = [&](const std::string& name, const std::string& bytes) {
    sections.push_back(bj::object{{"name", name}, {"offset", blobs.size()}, {"size", bytes.size()}});
    blobs += bytes;
  };
  for (const auto& [name, state] : c.model) add("model/" + name, state);
  for (const auto& [name, state] : c.trained_model) add("trained_model/" + name, state);
  add("optimizer", c.optimizer);
  const std::string header = bj::serialize(bj::object{{"info", c.info}, {"sections", sections}});
  const std::string body = std::to_string(header.size()) + "\n" + header + blobs;
  char sum[32];
  std::snprintf(sum, sizeof sum, "%016llx\n", static_cast<unsigned long long>(XXH3_64bits(body.data(), body.size())));
  return kMagic + std::string(sum) + body;
}

void write_checkpoint(const fs::path& file, const Checkpoint& c) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  write_file_atomically(file, checkpoint_bytes(c));
}

std::string read_checkpoint_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(Errc::kIo, "checkpoint '" + file.string() + "' does not exist or cannot be read");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Checkpoint read_checkpoint(const fs::path& file) { return parse_checkpoint(read_checkpoint_bytes(file), file.string()); }

Checkpoint parse_checkpoint(const std::string& all, const std::string& where) {
  const size_t magic = std::strlen(kMagic);
  if (all.compare(0, magic, kMagic) != 0) throw Error(Errc::kIo, "'" + where + "' is not a checkpoint");
  if (all.size() < magic + 17) throw Error(Errc::kIo, "checkpoint '" + where + "' is cut short");
  const std::string body = all.substr(magic + 17);
  char sum[32];
  std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(XXH3_64bits(body.data(), body.size())));
  if (all.compare(magic, 16, sum) != 0)
    throw Error(Errc::kIo, "checkpoint '" + where + "' is corrupt (checksum mismatch): it was cut short or changed");
  const size_t newline = body.find('\n');
  const size_t header_size = std::stoull(body.substr(0, newline));
  const bj::object header = json::parse_exact(body.substr(newline + 1, header_size)).as_object();
  const size_t base = newline + 1 + header_size;
  Checkpoint c;
  c.info = header.at("info").as_object();
  for (const bj::value& v : header.at("sections").as_array()) {
    const bj::object& o = v.as_object();
    const std::string name(o.at("name").as_string());
    const std::string bytes = body.substr(base + static_cast<size_t>(o.at("offset").as_int64()), static_cast<size_t>(o.at("size").as_int64()));
    if (name.rfind("model/", 0) == 0) c.model[name.substr(6)] = bytes;
    else if (name.rfind("trained_model/", 0) == 0) c.trained_model[name.substr(14)] = bytes;
    else if (name == "optimizer") c.optimizer = bytes;
  }
  return c;
}

}  // namespace fuse::train
