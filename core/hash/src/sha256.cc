#include "fuse/hash/sha256.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include <openssl/evp.h>

#include "fuse/base/error.h"

namespace fuse {
namespace {

struct Context {
  Context() : ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
      throw_error(Errc::kInternal, "OpenSSL cannot start a SHA-256 digest");
  }
  void update(const void* data, size_t size) {
    if (EVP_DigestUpdate(ctx.get(), data, size) != 1) throw_error(Errc::kInternal, "OpenSSL SHA-256 update failed");
  }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1)
      throw_error(Errc::kInternal, "OpenSSL SHA-256 final failed");
    static const char* kDigits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
      out += kDigits[digest[i] >> 4];
      out += kDigits[digest[i] & 15];
    }
    return out;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx;
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  Context c;
  c.update(bytes.data(), bytes.size());
  return c.hex();
}

std::string sha256_file_hex(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw_error(Errc::kIo, "cannot open '" + file.string() + "': " + std::strerror(errno));
  Context c;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    c.update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw_error(Errc::kIo, "cannot read '" + file.string() + "'");
  return c.hex();
}

}  // namespace fuse
