#include "fuse/hash/sha256.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "fuse/base/error.h"

namespace fuse {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, FileEqualsBytesAcrossBufferBoundaries) {
  std::string content(200000, 'x');
  for (size_t i = 0; i < content.size(); i += 7) content[i] = static_cast<char>('a' + i % 26);
  auto path = std::filesystem::temp_directory_path() / "fuse_sha256_test.bin";
  std::ofstream(path, std::ios::binary) << content;
  EXPECT_EQ(sha256_file_hex(path), sha256_hex(content));
  std::filesystem::remove(path);
}

TEST(Sha256, MissingFileIsAnIoError) {
  try {
    sha256_file_hex("/nonexistent/libx.so");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kIo);
    EXPECT_STREQ(e.what(), "cannot open '/nonexistent/libx.so': No such file or directory");
  }
}

}  // namespace
}  // namespace fuse
