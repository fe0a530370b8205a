#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::fresh_dir;
using testing::run_op;
using testing::bytes;
using testing::values;
using testing::write_npy;

NDict read(const std::filesystem::path& p) {
  NDict s;
  s.set("data.path", p.string());
  return run_op("fuse.io.read_npy", R"({"key": "a"})", std::move(s));
}

TEST(ReadNpy, COrderFortranOrderAndByteOrder) {
  const auto dir = fresh_dir("npy");
  write_npy(dir / "c.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytes<float>({0, 1, 2, 3, 4, 5}));
  const NDict c = read(dir / "c.npy");
  EXPECT_EQ(c.get<Tensor>("a").shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<float>(c.get<Tensor>("a")), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  // Fortran order: columns first on disk.
  write_npy(dir / "f.npy", "{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3), }", bytes<int64_t>({0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(values<int64_t>(read(dir / "f.npy").get<Tensor>("a")), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  write_npy(dir / "be.npy", "{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", std::string("\x01\x02\xff\xfe", 4));
  EXPECT_EQ(values<int16_t>(read(dir / "be.npy").get<Tensor>("a")), (std::vector<int16_t>{0x0102, -2}));
  write_npy(dir / "u16.npy", "{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", bytes<uint16_t>({65535}));
  EXPECT_EQ(values<int32_t>(read(dir / "u16.npy").get<Tensor>("a")), (std::vector<int32_t>{65535}));
  write_npy(dir / "scalar.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", bytes<double>({2.5}));
  EXPECT_EQ(read(dir / "scalar.npy").get<Tensor>("a").ndim(), 0);
}

TEST(ReadNpy, BadFilesSayWhy) {
  const auto dir = fresh_dir("npy_bad");
  const std::string prefix = "op 'fuse.io.read_npy' (plugin 'fuse.io_common'): '";
  std::ofstream(dir / "text.npy") << "hello world";
  EXPECT_EQ(error_of([&] { read(dir / "text.npy"); }), prefix + (dir / "text.npy").string() + "' is not a .npy file (no \\x93NUMPY magic)");
  write_npy(dir / "short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", bytes<float>({1, 2}));
  EXPECT_EQ(error_of([&] { read(dir / "short.npy"); }), prefix + (dir / "short.npy").string() + "' is truncated: 8 of 16 bytes of data");
  write_npy(dir / "complex.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", bytes<float>({1, 2}));
  EXPECT_EQ(error_of([&] { read(dir / "complex.npy"); }),
            prefix + (dir / "complex.npy").string() + "': dtype '<c8' is not supported (bool, int, uint, float)");
}

}  // namespace
}  // namespace fuse
