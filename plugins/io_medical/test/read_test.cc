#include <gtest/gtest.h>

#include <numeric>

#include "fuse/data/dataset.h"
#include "nifti_files.h"
#include "test_support.h"

namespace fuse::io_medical {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::run_op;
using fuse::testing::sample;
using fuse::testing::values;
using testing::bytes_of;
using testing::RawNifti;
using testing::write_raw_nifti;

std::vector<double> doubles(const NDict& d, const std::string& key) {
  std::vector<double> out;
  for (const Value& v : d.get<List>(key)) out.push_back(v.is<double>() ? v.as<double>() : static_cast<double>(v.as<int64_t>()));
  return out;
}

NDict read(const std::filesystem::path& path, const std::string& config = "{}") {
  NDict s;
  s.set("data.path", path.string());
  return run_op("fuse.io.read_medical", config, std::move(s));
}

std::vector<float> ramp(size_t n) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

TEST(ReadNifti, VoxelsAndGeometryFromTheSform) {
  const auto dir = fresh_dir("read_nifti");
  RawNifti f;
  f.data = bytes_of(ramp(60));
  write_raw_nifti(dir / "a.nii", f);
  const NDict s = read(dir / "a.nii");
  const Tensor& t = s.get<Tensor>("data.image");
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{1, 5, 4, 3}));  // [channel, z, y, x]
  EXPECT_EQ(values<float>(t), ramp(60));
  EXPECT_EQ(doubles(s, "data.image_meta.spacing"), (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(doubles(s, "data.image_meta.origin"), (std::vector<double>{-10, -20, 30}));  // RAS to LPS
  EXPECT_EQ(doubles(s, "data.image_meta.direction"), (std::vector<double>{-1, 0, 0, 0, -1, 0, 0, 0, 1}));
  EXPECT_EQ(doubles(s, "data.image_meta.size"), (std::vector<double>{3, 4, 5}));
  EXPECT_EQ(s.get<std::string>("data.image_meta.orientation"), "RAS");
  EXPECT_EQ(s.get<std::string>("data.image_meta.pixel_type"), "float32");
  EXPECT_EQ(s.get<std::string>("data.image_meta.path"), (dir / "a.nii").string());
  EXPECT_EQ(doubles(s, "data.image_meta.original.spacing"), (std::vector<double>{2, 3, 4}));
}

TEST(ReadNifti, OptionsShapeTheTensor) {
  const auto dir = fresh_dir("read_options");
  RawNifti f;
  f.data = bytes_of(ramp(60));
  write_raw_nifti(dir / "a.nii", f);
  EXPECT_EQ(read(dir / "a.nii", R"({"channel": false})").get<Tensor>("data.image").shape(), (std::vector<int64_t>{5, 4, 3}));
  const NDict as_double = read(dir / "a.nii", R"({"dtype": "float64", "key": "img"})");
  EXPECT_EQ(values<double>(as_double.get<Tensor>("img"))[59], 59.0);
  const NDict header = read(dir / "a.nii", R"({"header_only": true})");
  EXPECT_FALSE(header.has("data.image"));
  EXPECT_EQ(doubles(header, "data.image_meta.size"), (std::vector<double>{3, 4, 5}));
}

TEST(ReadNifti, UnsignedWidensAndScaledBecomesFloat) {
  const auto dir = fresh_dir("read_types");
  RawNifti f;
  f.datatype = DT_UINT16;
  f.bitpix = 16;
  std::vector<uint16_t> v(60, 0);
  v[1] = 65535;
  f.data = bytes_of(v);
  write_raw_nifti(dir / "u16.nii", f);
  const NDict u16 = read(dir / "u16.nii");
  const Tensor& wide = u16.get<Tensor>("data.image");
  EXPECT_EQ(wide.dtype().bits, 32);
  EXPECT_EQ(values<int32_t>(wide)[1], 65535);
  f.scl_slope = 0.5f;
  f.scl_inter = -1.0f;
  write_raw_nifti(dir / "scaled.nii", f);
  const std::vector<float> scaled = values<float>(read(dir / "scaled.nii").get<Tensor>("data.image"));
  EXPECT_FLOAT_EQ(scaled[0], -1.0f);
  EXPECT_FLOAT_EQ(scaled[1], 32766.5f);
}

TEST(ReadNifti, TheQformServesWhenThereIsNoSform) {
  const auto dir = fresh_dir("read_qform");
  RawNifti f;
  f.sform_code = 0;
  f.qform_code = 1;  // quaternion 0: identity rotation; pixdim 1
  f.data = bytes_of(ramp(60));
  write_raw_nifti(dir / "q.nii", f);
  const NDict s = read(dir / "q.nii");
  EXPECT_EQ(s.get<std::string>("data.image_meta.orientation"), "RAS");
  EXPECT_EQ(doubles(s, "data.image_meta.spacing"), (std::vector<double>{1, 1, 1}));
}

TEST(ReadNifti, SlightlyShearedAxesAreReadWithTheNearestRotation) {
  const auto dir = fresh_dir("read_skew");
  RawNifti f;
  f.srow[0][1] = 0.003f;  // y axis tilted a little towards x
  f.data = bytes_of(ramp(60));
  write_raw_nifti(dir / "skew.nii", f);
  const NDict s = read(dir / "skew.nii");  // ITK refuses this file
  const std::vector<double> d = doubles(s, "data.image_meta.direction");
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      double dot = 0;
      for (int r = 0; r < 3; ++r) dot += d[static_cast<size_t>(r * 3 + a)] * d[static_cast<size_t>(r * 3 + b)];
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-9);
    }
  EXPECT_EQ(s.get<std::string>("data.image_meta.orientation"), "RAS");
  EXPECT_EQ(values<float>(s.get<Tensor>("data.image")), ramp(60));
}

TEST(ReadNifti, StronglyShearedAxesAreRefused) {
  const auto dir = fresh_dir("read_shear");
  RawNifti f;
  f.srow[0][1] = 1.5f;
  f.data = bytes_of(ramp(60));
  write_raw_nifti(dir / "shear.nii", f);
  EXPECT_EQ(error_of([&] { read(dir / "shear.nii"); }),
            "op 'fuse.io.read_medical' (plugin 'fuse.io_medical'): '" + (dir / "shear.nii").string() +
                "': the voxel axes are sheared (largest |D^T D - I| entry 0.447214, tolerance 0.100000); resample the image, "
                "or raise 'shear_tolerance' to read it with the nearest rotation");
  EXPECT_NO_THROW(read(dir / "shear.nii", R"({"shear_tolerance": 0.5})"));
}

TEST(ReadNifti, BrokenFilesSayWhatIsWrong) {
  const auto dir = fresh_dir("read_broken");
  RawNifti f;
  f.data = bytes_of(ramp(60));
  write_raw_nifti(dir / "full.nii", f);
  const std::string full = fuse::testing::read_text(dir / "full.nii");
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return (dir / name).string();
  };
  const std::string prefix = "op 'fuse.io.read_medical' (plugin 'fuse.io_medical'): ";
  const std::string short_header = write("short.nii", full.substr(0, 100));
  EXPECT_EQ(error_of([&] { read(short_header); }), prefix + "'" + short_header + "' is truncated: 100 bytes where a NIfTI header needs 348");
  const std::string cut = write("cut.nii", full.substr(0, 352 + 100));
  EXPECT_EQ(error_of([&] { read(cut); }), prefix + "'" + cut + "' is truncated: 100 of 240 bytes of voxel data");
  const std::string garbage = write("garbage.nii", std::string(400, 'x'));
  EXPECT_EQ(error_of([&] { read(garbage); }),
            prefix + "'" + garbage + "' is not a NIfTI file (the header size field is 2021161080, expected 348)");
  const std::string not_gz = write("fake.nii.gz", std::string(10, 'x'));
  EXPECT_EQ(error_of([&] { read(not_gz); }), prefix + "'" + not_gz + "' is truncated: 10 bytes where a NIfTI header needs 348");
  EXPECT_EQ(error_of([&] { read(dir / "missing.nii.gz"); }), prefix + "file not found: '" + (dir / "missing.nii.gz").string() + "'");
}

TEST(ReadNifti, AMissingFileNamesThePathAndTheSample) {
  const auto dir = fresh_dir("read_dataset");
  data::DatasetSpec spec;
  data::Sample s;
  s.id = "case_007";
  s.origin = "row 7 of train.csv";
  s.values.set("data.path", (dir / "case_007.nii.gz").string());
  spec.samples = {s};
  spec.static_steps = {data::Step{"fuse.io.read_medical", {}, {}, "exp.json:12:5", {}}};
  data::Dataset d(fuse::testing::built_plugins(), spec);
  EXPECT_EQ(error_of([&] { d.worker().get(0, 0, true); }),
            "sample 'case_007' (row 7 of train.csv): static pipeline step 1 (exp.json:12:5): op 'fuse.io.read_medical' (plugin "
            "'fuse.io_medical'): file not found: '" + (dir / "case_007.nii.gz").string() + "'");
}

TEST(ReadNifti, AWrongKeyNamesTheKeysPresent) {
  NDict s;
  s.set("data.image_path", "x.nii");
  const std::string message = error_of([&] { run_op("fuse.io.read_medical", "{}", s); });
  EXPECT_NE(message.find("'data.path'"), std::string::npos) << message;
  EXPECT_NE(message.find("data.image_path"), std::string::npos) << message;
}

// A case's MRI sequences as the channels of one tensor, each file its channel in the order given.
TEST(ReadChannels, TheFilesBecomeChannelsInOrder) {
  const auto dir = fresh_dir("read_channels");
  RawNifti t1;
  t1.data = bytes_of(ramp(60));
  write_raw_nifti(dir / "t1.nii", t1);
  RawNifti t2;
  t2.datatype = DT_INT16;
  t2.bitpix = 16;
  t2.data = bytes_of(std::vector<int16_t>(60, 7));
  write_raw_nifti(dir / "t2.nii", t2);
  NDict s;
  s.set("data.t1", (dir / "t1.nii").string());
  s.set("data.t2", (dir / "t2.nii").string());
  const NDict both = run_op("fuse.io.read_medical_channels", R"({"path_keys": ["data.t2", "data.t1"], "key": "data.scan"})", s);
  const Tensor& scan = both.get<Tensor>("data.scan");
  EXPECT_EQ(scan.shape(), (std::vector<int64_t>{2, 5, 4, 3}));
  const std::vector<float> v = values<float>(scan);  // int16 and float32: float32
  EXPECT_EQ(std::vector<float>(v.begin(), v.begin() + 60), std::vector<float>(60, 7.0f));
  EXPECT_EQ(std::vector<float>(v.begin() + 60, v.end()), ramp(60));
  EXPECT_EQ(both.get<int64_t>("data.scan_meta.channels"), 2);
  EXPECT_EQ(both.get<std::string>("data.scan_meta.path"), (dir / "t2.nii").string());
  EXPECT_EQ(both.get<List>("data.scan_meta.paths").size(), 2u);
  EXPECT_EQ(both.get<List>("data.scan_meta.paths")[1].as<std::string>(), (dir / "t1.nii").string());
  EXPECT_EQ(doubles(both, "data.scan_meta.original.spacing"), (std::vector<double>{2, 3, 4}));
  // Files of one dtype keep it.
  s.set("data.t3", (dir / "t2.nii").string());
  const NDict same = run_op("fuse.io.read_medical_channels", R"({"path_keys": ["data.t2", "data.t3"]})", s);
  EXPECT_EQ(values<int16_t>(same.get<Tensor>("data.image")), std::vector<int16_t>(120, 7));
}

TEST(ReadChannels, FilesOnDifferentGridsOrNoKeysAreRefused) {
  const auto dir = fresh_dir("read_channels_grids");
  RawNifti a;
  a.data = bytes_of(ramp(60));
  write_raw_nifti(dir / "a.nii", a);
  RawNifti moved = a;
  moved.srow[0][3] = 16;  // 3 voxels of 2 mm along x
  write_raw_nifti(dir / "moved.nii", moved);
  RawNifti thick = a;
  thick.srow[2][2] = 5;
  write_raw_nifti(dir / "thick.nii", thick);
  RawNifti small = a;
  small.nz = 4;
  small.data = bytes_of(ramp(48));
  write_raw_nifti(dir / "small.nii", small);
  NDict s;
  for (const char* name : {"a", "moved", "thick", "small"}) s.set(std::string("data.") + name, (dir / (std::string(name) + ".nii")).string());
  const std::string prefix = "op 'fuse.io.read_medical_channels' (plugin 'fuse.io_medical'): ";
  const auto refusal = [&](const std::string& other, const std::string& difference) {
    return prefix + "'" + (dir / (other + ".nii")).string() + "' (data." + other + ") and '" + (dir / "a.nii").string() +
           "' (data.a) lie on different grids (" + difference + "); a case's channels share one grid: register them first";
  };
  EXPECT_EQ(error_of([&] { run_op("fuse.io.read_medical_channels", R"({"path_keys": ["data.a", "data.moved"]})", s); }),
            refusal("moved", "origin [-10, -20, 30] against [-16, -20, 30]"));
  EXPECT_EQ(error_of([&] { run_op("fuse.io.read_medical_channels", R"({"path_keys": ["data.a", "data.thick"]})", s); }),
            refusal("thick", "spacing [2, 3, 4] against [2, 3, 5]"));
  EXPECT_EQ(error_of([&] { run_op("fuse.io.read_medical_channels", R"({"path_keys": ["data.a", "data.small"]})", s); }),
            refusal("small", "size [3, 4, 5] against [3, 4, 4]"));
  EXPECT_EQ(error_of([&] { run_op("fuse.io.read_medical_channels", R"({"path_keys": []})", s); }),
            prefix + "create failed: 'path_keys' is empty: name the keys of the files to read as channels");
  const std::string missing = error_of([&] { run_op("fuse.io.read_medical_channels", R"({"path_keys": ["data.a", "data.t2"]})", s); });
  EXPECT_NE(missing.find("'data.t2'"), std::string::npos) << missing;
}

}  // namespace
}  // namespace fuse::io_medical
