// SHA-256 (OpenSSL) as lowercase hex: verifying plugin libraries before they are opened.
#ifndef FUSE_HASH_SHA256_H_
#define FUSE_HASH_SHA256_H_

#include <filesystem>
#include <string>
#include <string_view>

namespace fuse {

std::string sha256_hex(std::string_view bytes);
// Streams the file; Error(kIo) naming it when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& file);

}  // namespace fuse

#endif  // FUSE_HASH_SHA256_H_
