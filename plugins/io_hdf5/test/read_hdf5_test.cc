#include <gtest/gtest.h>

#include <hdf5.h>

#include <fstream>
#include <thread>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::fresh_dir;
using testing::run_op;
using testing::values;

const std::string kPrefix = "op 'fuse.io.read_hdf5' (plugin 'fuse.io_hdf5'): ";

// Writes HDF5 files the way h5py lays them out (groups, bool enums, half floats, strings).
class H5Writer {
 public:
  explicit H5Writer(const std::filesystem::path& path) : file_(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {}
  ~H5Writer() { H5Fclose(file_); }

  // `values` in memory type `memory`, stored as `stored` with `dims` (empty: a single value); with `chunk`,
  // in chunks of that shape, shuffled and gzip-compressed (as h5py's compression="gzip", shuffle=True).
  void write(const std::string& name, hid_t stored, hid_t memory, std::vector<hsize_t> dims, const void* values,
             const std::vector<hsize_t>& chunk = {}) {
    const hid_t space = dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t links = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(links, 1);
    const hid_t layout = H5Pcreate(H5P_DATASET_CREATE);
    if (!chunk.empty()) {
      H5Pset_chunk(layout, static_cast<int>(chunk.size()), chunk.data());
      H5Pset_shuffle(layout);
      H5Pset_deflate(layout, 4);
    }
    const hid_t dataset = H5Dcreate2(file_, name.c_str(), stored, space, links, layout, H5P_DEFAULT);
    H5Pclose(layout);
    EXPECT_GE(H5Dwrite(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), 0) << name;
    H5Dclose(dataset);
    H5Pclose(links);
    H5Sclose(space);
  }
  template <class T>
  void write(const std::string& name, hid_t type, std::vector<hsize_t> dims, const std::vector<T>& v) {
    write(name, type, type, std::move(dims), v.data());
  }

 private:
  hid_t file_;
};

hid_t half_float() {  // IEEE binary16, as h5py stores numpy's float16
  const hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  H5Tset_fields(t, 15, 10, 5, 0, 10);
  H5Tset_size(t, 2);
  H5Tset_precision(t, 16);
  H5Tset_ebias(t, 15);
  return t;
}

hid_t h5py_bool() {
  const hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
  int8_t no = 0, yes = 1;
  H5Tenum_insert(t, "FALSE", &no);
  H5Tenum_insert(t, "TRUE", &yes);
  return t;
}

// Three samples: 1 x 2 x 2 images, labels, ages in a group, flags, names (variable length, UTF-8) and codes
// (fixed length, NUL-padded).
std::filesystem::path cohort(const std::filesystem::path& dir) {
  const auto path = dir / "cohort.h5";
  H5Writer w(path);
  w.write<uint8_t>("images", H5T_NATIVE_UINT8, {3, 1, 2, 2}, {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23});
  w.write<int64_t>("labels", H5T_NATIVE_INT64, {3}, {7, 8, 9});
  w.write<double>("meta/age", H5T_NATIVE_DOUBLE, {3}, {61.5, 47.25, 70.0});
  const hid_t b = h5py_bool();
  w.write<int8_t>("flags", b, {3}, {1, 0, 1});
  H5Tclose(b);
  const hid_t variable = H5Tcopy(H5T_C_S1);
  H5Tset_size(variable, H5T_VARIABLE);
  H5Tset_cset(variable, H5T_CSET_UTF8);
  const char* names[] = {"anna", "bob", "zo\u00eb"};
  w.write("names", variable, variable, {3}, names);
  H5Tclose(variable);
  const hid_t fixed = H5Tcopy(H5T_C_S1);
  H5Tset_size(fixed, 4);
  H5Tset_strpad(fixed, H5T_STR_NULLPAD);
  w.write("codes", fixed, fixed, {3}, "A1\0\0B22\0C333");
  H5Tclose(fixed);
  return path;
}

NDict read(const std::string& config, NDict sample = NDict()) { return run_op("fuse.io.read_hdf5", config, std::move(sample)); }

NDict item(const std::filesystem::path& file, const std::string& datasets, const std::string& keys, NDict sample) {
  return read(R"({"file": ")" + file.string() + R"(", "index_key": "data.index", "datasets": )" + datasets + R"(, "keys": )" + keys + "}",
              std::move(sample));
}

NDict with_index(int64_t index) {
  NDict s;
  s.set("data.index", index);
  return s;
}

TEST(ReadHdf5, ItemsAlongTheFirstAxis) {
  const auto file = cohort(fresh_dir("hdf5_items"));
  const NDict two = item(file, R"(["images", "labels", "meta/age", "flags", "names", "codes"])",
                         R"(["data.image", "data.label", "data.age", "data.flag", "data.name", "data.code"])", with_index(2));
  const Tensor& image = two.get<Tensor>("data.image");
  EXPECT_EQ(image.shape(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(values<uint8_t>(image), (std::vector<uint8_t>{20, 21, 22, 23}));
  EXPECT_EQ(two.get<int64_t>("data.label"), 9);
  EXPECT_EQ(two.get<double>("data.age"), 70.0);
  EXPECT_TRUE(two.get<bool>("data.flag"));
  EXPECT_EQ(two.get<std::string>("data.name"), "zo\u00eb");
  EXPECT_EQ(two.get<std::string>("data.code"), "C333");
  // An id of digits (the `count` source's ids) picks the item too.
  NDict by_id;
  by_id.set("data.index", std::string("1"));
  const NDict one = item(file, R"(["labels", "flags", "names", "codes", "meta/age"])", R"(["y", "f", "n", "c", "a"])", std::move(by_id));
  EXPECT_EQ(one.get<int64_t>("y"), 8);
  EXPECT_FALSE(one.get<bool>("f"));
  EXPECT_EQ(one.get<std::string>("n"), "bob");
  EXPECT_EQ(one.get<std::string>("c"), "B22");
  EXPECT_EQ(one.get<double>("a"), 47.25);
}

TEST(ReadHdf5, WholeDatasetsWithTypeConversions) {
  const auto dir = fresh_dir("hdf5_whole");
  {
    H5Writer w(dir / "a.h5");
    w.write<uint16_t>("u16", H5T_NATIVE_UINT16, {2}, {65535, 3});
    w.write<uint32_t>("u32", H5T_NATIVE_UINT32, {2}, {4294967295u, 5});
    w.write("big_endian", H5T_STD_I32BE, H5T_NATIVE_INT32, {3}, std::vector<int32_t>{-2, 0, 70000}.data());
    const hid_t half = half_float();
    w.write("half", half, H5T_NATIVE_FLOAT, {2, 2}, std::vector<float>{0.5f, -2.0f, 1.5f, 1024.0f}.data());
    H5Tclose(half);
    w.write<float>("spacing", H5T_NATIVE_FLOAT, {}, {0.75f});
    const hid_t grade = H5Tenum_create(H5T_NATIVE_UINT8);  // an enum that is not a bool gives its values
    for (uint8_t v : {0, 1, 2}) H5Tenum_insert(grade, std::string(1, static_cast<char>('a' + v)).c_str(), &v);
    w.write<uint8_t>("grade", grade, {3}, {2, 0, 1});
    H5Tclose(grade);
  }
  NDict sample;
  sample.set("data.path", (dir / "a.h5").string());
  const NDict out = read(R"({"path_key": "data.path", "datasets": ["u16", "u32", "big_endian", "half", "spacing", "grade"],
                             "keys": ["a", "b", "c", "d", "e", "f"]})",
                         std::move(sample));
  EXPECT_EQ(values<int32_t>(out.get<Tensor>("a")), (std::vector<int32_t>{65535, 3}));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("b")), (std::vector<int64_t>{4294967295, 5}));
  EXPECT_EQ(values<int32_t>(out.get<Tensor>("c")), (std::vector<int32_t>{-2, 0, 70000}));
  const Tensor& half = out.get<Tensor>("d");
  EXPECT_EQ(half.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(values<float>(half), (std::vector<float>{0.5f, -2.0f, 1.5f, 1024.0f}));
  EXPECT_EQ(out.get<double>("e"), 0.75);
  EXPECT_EQ(values<uint8_t>(out.get<Tensor>("f")), (std::vector<uint8_t>{2, 0, 1}));
}

TEST(ReadHdf5, CompressedChunkedDatasetsReadItemByItem) {
  const auto dir = fresh_dir("hdf5_chunked");
  std::vector<float> rows(300 * 8);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = 0.5f * static_cast<float>(i);
  std::vector<int16_t> labels(300);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int16_t>(i % 7 - 3);
  {
    H5Writer w(dir / "packed.h5");
    w.write("x", H5T_NATIVE_FLOAT, H5T_NATIVE_FLOAT, {300, 8}, rows.data(), {50, 8});
    w.write("y", H5T_STD_I16BE, H5T_NATIVE_INT16, {300}, labels.data(), {64});
  }
  for (int64_t i = 0; i < 300; ++i) {
    const NDict s = item(dir / "packed.h5", R"(["x", "y"])", R"(["x", "y"])", with_index(i));
    const std::vector<float> x = values<float>(s.get<Tensor>("x"));
    ASSERT_EQ(x.size(), 8u);
    ASSERT_EQ(x[0], 0.5f * static_cast<float>(i * 8)) << i;
    ASSERT_EQ(x[7], 0.5f * static_cast<float>(i * 8 + 7)) << i;
    ASSERT_EQ(s.get<int64_t>("y"), i % 7 - 3) << i;
  }
}

TEST(ReadHdf5, ThreadsReadingOneFileGetTheirOwnItems) {
  const auto dir = fresh_dir("hdf5_threads");
  std::vector<float> rows(200 * 16);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(i);
  H5Writer(dir / "rows.h5").write<float>("x", H5T_NATIVE_FLOAT, {200, 16}, rows);
  std::vector<std::thread> threads;
  std::vector<int> wrong(8, 0);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int64_t i = t; i < 200; i += 8) {
        const NDict s = item(dir / "rows.h5", R"(["x"])", R"(["x"])", with_index(i));
        if (values<float>(s.get<Tensor>("x"))[15] != static_cast<float>(i * 16 + 15)) ++wrong[static_cast<size_t>(t)];
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, std::vector<int>(8, 0));
}

TEST(ReadHdf5, BadFilesDatasetsAndItemsAreNamed) {
  const auto dir = fresh_dir("hdf5_bad");
  const auto file = cohort(dir);
  const std::string f = file.string();
  {
    H5Writer w(dir / "odd.h5");
    w.write<int64_t>("count", H5T_NATIVE_INT64, {}, {4});
    const hid_t pair = H5Tcreate(H5T_COMPOUND, 8);
    H5Tinsert(pair, "a", 0, H5T_NATIVE_INT32);
    H5Tinsert(pair, "b", 4, H5T_NATIVE_INT32);
    w.write("pairs", pair, pair, {1}, std::vector<int32_t>{1, 2}.data());
    H5Tclose(pair);
    const hid_t variable = H5Tcopy(H5T_C_S1);
    H5Tset_size(variable, H5T_VARIABLE);
    const char* grid[] = {"a", "b", "c", "d"};
    w.write("grid", variable, variable, {2, 2}, grid);
    H5Tclose(variable);
    w.write<uint64_t>("u64", H5T_NATIVE_UINT64, {1}, {1});
  }
  std::ofstream(dir / "text.h5") << "not hdf5";
  const std::string odd = (dir / "odd.h5").string();
  EXPECT_EQ(error_of([&] { item(file, R"(["image"])", R"(["x"])", with_index(0)); }),
            kPrefix + "'" + f + "' has no dataset 'image' (datasets: codes, flags, images, labels, meta/age, names)");
  EXPECT_EQ(error_of([&] { item(file, R"(["meta/weight"])", R"(["x"])", with_index(0)); }),
            kPrefix + "'" + f + "' has no dataset 'meta/weight' (datasets: codes, flags, images, labels, meta/age, names)");
  EXPECT_EQ(error_of([&] { item(file, R"(["meta"])", R"(["x"])", with_index(0)); }),
            kPrefix + "'" + f + "' has no dataset 'meta' (datasets: codes, flags, images, labels, meta/age, names)");
  EXPECT_EQ(error_of([&] { item(file, R"(["labels"])", R"(["x"])", with_index(3)); }),
            kPrefix + "item 3 is out of range: 'labels' in '" + f + "' holds 3");
  NDict word;
  word.set("data.index", std::string("x7"));
  EXPECT_EQ(error_of([&] { item(file, R"(["labels"])", R"(["x"])", word); }), kPrefix + "key 'data.index' holds 'x7', not an item number");
  EXPECT_EQ(error_of([&] { item(odd, R"(["count"])", R"(["x"])", with_index(0)); }),
            kPrefix + "'count' in '" + odd + "' is a single value: it has no items to pick (leave 'index_key' out to read it whole)");
  EXPECT_EQ(error_of([&] { item(odd, R"(["pairs"])", R"(["x"])", with_index(0)); }),
            kPrefix + "'pairs' in '" + odd + "' holds compound values, which is not supported (int8-64, uint8-32, float16-64, bool, 1-byte enums, string)");
  EXPECT_EQ(error_of([&] { item(odd, R"(["u64"])", R"(["x"])", with_index(0)); }),
            kPrefix + "'u64' in '" + odd + "' holds uint64, which is not supported (int8-64, uint8-32, float16-64, bool, 1-byte enums, string)");
  EXPECT_EQ(error_of([&] { item(odd, R"(["grid"])", R"(["x"])", with_index(0)); }),
            kPrefix + "'grid' in '" + odd + "' holds strings: read one per sample (an item of a 1-D dataset, or a single value)");
  const auto whole = [&](const std::filesystem::path& p) {
    NDict s;
    s.set("data.path", p.string());
    read(R"({"path_key": "data.path", "datasets": ["x"], "keys": ["x"]})", std::move(s));
  };
  EXPECT_EQ(error_of([&] { whole(dir / "none.h5"); }), kPrefix + "file not found: '" + (dir / "none.h5").string() + "'");
  EXPECT_EQ(error_of([&] { whole(dir / "text.h5"); }), kPrefix + "'" + (dir / "text.h5").string() + "' is not an HDF5 file");
}

TEST(ReadHdf5, BadConfigsAreNamed) {
  const std::string create = kPrefix + "create failed: ";
  EXPECT_EQ(error_of([] { read(R"({"datasets": ["x"], "keys": ["x"]})"); }),
            create + "give either 'file' (one file for every sample) or 'path_key' (a file per sample), not neither");
  EXPECT_EQ(error_of([] { read(R"({"file": "/a.h5", "path_key": "data.path", "datasets": ["x"], "keys": ["x"]})"); }),
            create + "give either 'file' (one file for every sample) or 'path_key' (a file per sample), not both");
  EXPECT_EQ(error_of([] { read(R"({"file": "/a.h5", "datasets": ["x", "y"], "keys": ["x"]})"); }),
            create + "'datasets' names 2 datasets but 'keys' 1 keys: one key per dataset");
  EXPECT_EQ(error_of([] { read(R"({"file": "/a.h5", "datasets": [], "keys": []})"); }), create + "'datasets' is empty: name the datasets to read");
}

}  // namespace
}  // namespace fuse
