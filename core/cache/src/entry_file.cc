#include "fuse/cache/entry_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <boost/json/serialize.hpp>
#include <xxhash.h>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/json/parse.h"

namespace fuse::cache {

namespace bj = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[4] = {'F', 'M', 'C', '1'};
constexpr uint32_t kFormat = 1;
constexpr size_t kHeader = 64;
constexpr size_t kAlign = 64;

struct Header {
  char magic[4];
  uint32_t format;
  uint64_t payload_bytes;  // tensor data, after the header
  uint64_t index_bytes;    // the JSON index, after the payload
  uint64_t checksum;       // xxHash3-64 of payload + index
  char reserved[kHeader - 32];
};
static_assert(sizeof(Header) == kHeader, "the header is 64 bytes");

size_t align(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// The index of a value; tensors append their bytes to `payload`.
bj::value index_of(const Value& v, std::string& payload) {
  switch (v.type()) {
    case ValueType::kNull: return nullptr;
    case ValueType::kInt: return bj::object{{"i", v.as<int64_t>()}};
    case ValueType::kDouble: return bj::object{{"d", v.as<double>()}};
    case ValueType::kBool: return v.as<bool>();
    case ValueType::kString: return bj::object{{"s", bj::string(v.as<std::string>())}};
    case ValueType::kList: {
      bj::array a;
      for (const Value& e : v.as<List>()) a.push_back(index_of(e, payload));
      return bj::object{{"l", std::move(a)}};
    }
    case ValueType::kDict: {
      bj::array entries;
      for (const NDict::Entry& e : v.as<NDict>().entries()) entries.push_back(bj::array{bj::string(e.key), index_of(e.value, payload)});
      return bj::object{{"n", std::move(entries)}};
    }
    case ValueType::kTensor: {
      const Tensor t = v.as<Tensor>().is_contiguous() ? v.as<Tensor>() : v.as<Tensor>().clone();
      if (!t.is_cpu()) throw Error(Errc::kUnsupported, "cannot cache a tensor that is not in CPU memory: " + t.description());
      const size_t offset = payload.size();
      payload.append(static_cast<const char*>(t.raw_data()), t.nbytes());
      payload.resize(align(payload.size()), '\0');
      bj::array shape;
      for (int64_t d : t.shape()) shape.push_back(d);
      return bj::object{{"t", bj::object{{"code", t.dtype().code}, {"bits", t.dtype().bits}, {"lanes", t.dtype().lanes},
                                         {"shape", std::move(shape)}, {"offset", offset}}}};
    }
  }
  return nullptr;
}

// The mapping of an entry: unmapped when the last tensor viewing it goes.
struct Mapping {
  void* data = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (data != nullptr && data != MAP_FAILED) munmap(data, size);
  }
};

Value value_of(const bj::value& v, const std::shared_ptr<Mapping>& map, const char* payload, size_t payload_bytes) {
  if (v.is_null()) return Value();
  if (v.is_bool()) return Value(v.as_bool());
  const bj::object& o = v.as_object();
  if (const bj::value* i = o.if_contains("i")) return Value(i->as_int64());
  if (const bj::value* d = o.if_contains("d")) return Value(d->to_number<double>());
  if (const bj::value* s = o.if_contains("s")) return Value(std::string(s->as_string()));
  if (const bj::value* l = o.if_contains("l")) {
    List list;
    for (const bj::value& e : l->as_array()) list.push_back(value_of(e, map, payload, payload_bytes));
    return Value(std::move(list));
  }
  if (const bj::value* n = o.if_contains("n")) {
    NDict d;
    for (const bj::value& e : n->as_array()) d.set(std::string(e.as_array()[0].as_string()), value_of(e.as_array()[1], map, payload, payload_bytes));
    return Value(std::move(d));
  }
  const bj::object& t = o.at("t").as_object();
  const DLDataType dtype{static_cast<uint8_t>(t.at("code").as_int64()), static_cast<uint8_t>(t.at("bits").as_int64()),
                         static_cast<uint16_t>(t.at("lanes").as_int64())};
  std::vector<int64_t> shape;
  int64_t count = 1;
  for (const bj::value& d : t.at("shape").as_array()) count *= shape.emplace_back(d.as_int64());
  const size_t offset = static_cast<size_t>(t.at("offset").as_int64());
  if (offset + static_cast<size_t>(count * sdk::dtype_size(dtype)) > payload_bytes)
    throw Error(Errc::kNumeric, "a tensor reaches past the end of the payload");
  return Value(Tensor::from_buffer(const_cast<char*>(payload + offset), shape, dtype, map, false));
}

[[noreturn]] void corrupt(const fs::path& path, const std::string& why) {
  throw Error(Errc::kNumeric, "cache entry '" + path.string() + "' is corrupt (" + why + ")");
}

// Maps an entry and checks it; the mapping and its header.
std::pair<std::shared_ptr<Mapping>, Header> open_checked(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Errc::kIo, "cannot open cache entry '" + path.string() + "': " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(Errc::kIo, "cannot stat cache entry '" + path.string() + "': " + std::strerror(errno));
  }
  auto map = std::make_shared<Mapping>();
  map->size = static_cast<size_t>(st.st_size);
  if (map->size < kHeader) {
    ::close(fd);
    corrupt(path, "only " + std::to_string(map->size) + " bytes, shorter than its header");
  }
  map->data = mmap(nullptr, map->size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map->data == MAP_FAILED) throw Error(Errc::kIo, "cannot map cache entry '" + path.string() + "': " + std::strerror(errno));
  Header h;
  std::memcpy(&h, map->data, kHeader);
  if (std::memcmp(h.magic, kMagic, 4) != 0) corrupt(path, "not a cache entry");
  if (h.format != kFormat) corrupt(path, "format " + std::to_string(h.format) + ", this build reads " + std::to_string(kFormat));
  if (kHeader + h.payload_bytes + h.index_bytes != map->size)
    corrupt(path, std::to_string(map->size) + " bytes where the header announces " + std::to_string(kHeader + h.payload_bytes + h.index_bytes) +
                      ": cut short");
  if (XXH3_64bits(static_cast<const char*>(map->data) + kHeader, map->size - kHeader) != h.checksum) corrupt(path, "checksum mismatch");
  return {map, h};
}

}  // namespace

size_t write_entry(const fs::path& path, const NDict& sample) {
  std::string payload;
  const std::string index = bj::serialize(index_of(Value(sample), payload));
  Header h{};
  std::memcpy(h.magic, kMagic, 4);
  h.format = kFormat;
  h.payload_bytes = payload.size();
  h.index_bytes = index.size();
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, payload.data(), payload.size());
  XXH3_64bits_update(state, index.data(), index.size());
  h.checksum = XXH3_64bits_digest(state);
  XXH3_freeState(state);

  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  // Atomically: after a crash, or beside another writer of the same entry, the name holds a whole entry.
  write_file_atomically(path, {std::string_view(reinterpret_cast<const char*>(&h), kHeader), payload, index});
  return kHeader + payload.size() + index.size();
}

NDict read_entry(const fs::path& path) {
  auto [map, h] = open_checked(path);
  const char* base = static_cast<const char*>(map->data);
  try {
    const bj::value index = json::parse_exact(std::string_view(base + kHeader + h.payload_bytes, h.index_bytes));
    return std::move(value_of(index, map, base + kHeader, h.payload_bytes).as<NDict>());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    corrupt(path, std::string("bad index: ") + e.what());
  }
}

std::string check_entry(const fs::path& path) {
  try {
    open_checked(path);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace fuse::cache
