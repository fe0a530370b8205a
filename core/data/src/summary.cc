#include "fuse/data/summary.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/json/parse.hpp>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/data/grid.h"

namespace fuse::data {

namespace bj = boost::json;

namespace {

std::vector<double> doubles_of(const NDict& d, const std::string& key) {
  std::vector<double> out;
  for (const Value& v : d.get<List>(key)) out.push_back(v.is<double>() ? v.as<double>() : static_cast<double>(v.as<int64_t>()));
  return out;
}

// Spacings read from files differ in their last digits: compare them rounded to a micrometre.
double rounded(double v) { return std::round(v * 1e3) / 1e3; }

void count_labels(const Tensor& t, std::map<int64_t, int64_t>& counts) {
  const Tensor c = t.is_contiguous() ? t : t.clone();
  const bool ok = sdk::dispatch_dtype(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = c.data<T>();
    for (int64_t i = 0, n = c.numel(); i < n; ++i) ++counts[static_cast<int64_t>(std::llround(static_cast<double>(p[i])))];
  });
  if (!ok) throw Error(Errc::kType, "a mask of dtype " + sdk::dtype_name(c.dtype()) + " cannot be counted");
}

// A photograph's size and channels, and its mask's labels: both read in full (their formats have no header
// reader here), through fuse.io.read_image.
void read_photograph(Op& read, const std::string& image, const std::string& mask, ImageInfo& info) {
  NDict s;
  s.set("path", image);
  read.forward(s);
  const Tensor& t = s.get<Tensor>("image");
  info.photograph = true;
  info.size = {t.shape()[2], t.shape()[1], 1};
  info.pixel_type = sdk::dtype_name(t.dtype());
  info.channels = t.shape()[0];
  if (mask.empty()) return;
  NDict m;
  m.set("path", mask);
  read.forward(m);
  const Tensor& labels = m.get<Tensor>("image");
  if (labels.shape()[0] != 1)
    throw Error(Errc::kShape, "mask '" + mask + "' has " + std::to_string(labels.shape()[0]) + " channels; a label map has one (a grey image of 0, 1, 2, ...)");
  info.mask_path = mask;
  count_labels(labels, info.label_voxels);
  if (labels.shape()[1] != t.shape()[1] || labels.shape()[2] != t.shape()[2])
    info.mask_grid = "size " + std::to_string(t.shape()[2]) + "x" + std::to_string(t.shape()[1]) + " against " + std::to_string(labels.shape()[2]) + "x" +
                     std::to_string(labels.shape()[1]);
}

// Calls work(i) for i in [0, n) on `threads` threads, each with its own state: `make()` gives a thread its
// work function (its ops). The first error is thrown once every thread has stopped.
template <class Make>
void in_parallel(size_t n, size_t threads, const Make& make) {
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  std::optional<Error> failure;
  const auto run = [&] {
    try {
      auto work = make();
      for (size_t i = next++; i < n; i = next++) work(i);
    } catch (const Error& e) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!failure) failure = e;
      next = n;  // the others stop at their next file
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::max<size_t>(1, threads); ++t) pool.emplace_back(run);
  run();
  for (std::thread& t : pool) t.join();
  if (failure) throw *failure;
}

}  // namespace

bool is_photograph(const std::string& path) {
  const std::string ext = lowercase(std::filesystem::path(path).extension().string());
  for (const char* known : {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
    if (ext == known) return true;
  return false;
}

std::vector<ImageInfo> read_image_infos(const Registry& registry, const std::vector<std::string>& images,
                                        const std::vector<std::string>& masks, size_t threads) {
  // Refused before reading thousands of files.
  const auto photo = std::find_if(images.begin(), images.end(), [](const std::string& p) { return is_photograph(p); });
  const auto volume = std::find_if(images.begin(), images.end(), [](const std::string& p) { return !is_photograph(p); });
  if (photo != images.end() && volume != images.end())
    throw Error(Errc::kInvalidArgument, "the images mix photographs ('" + *photo + "') and volumes ('" + *volume + "'); one data set holds one kind");
  std::vector<ImageInfo> out(images.size());
  in_parallel(images.size(), threads, [&] {
    Op header = registry.create_op("fuse.io.read_medical", bj::parse(R"({"path_key": "path", "key": "image", "header_only": true})").as_object());
    Op full = registry.create_op("fuse.io.read_medical", bj::parse(R"({"path_key": "path", "key": "mask"})").as_object());
    std::optional<Op> picture;
    return [&, header = std::move(header), full = std::move(full), picture = std::move(picture)](size_t i) mutable {
      if (is_photograph(images[i])) {
        if (!picture) picture = registry.create_op("fuse.io.read_image", bj::parse(R"({"path_key": "path", "key": "image"})").as_object());
        out[i].path = images[i];
        read_photograph(*picture, images[i], i < masks.size() ? masks[i] : "", out[i]);
        return;
      }
      NDict s;
      s.set("path", images[i]);
      header.forward(s);
      ImageInfo& info = out[i];
      info.path = images[i];
      const std::vector<double> size = doubles_of(s, "image_meta.size"), spacing = doubles_of(s, "image_meta.spacing");
      for (size_t a = 0; a < size.size() && a < 3; ++a) info.size[a] = static_cast<int64_t>(size[a]), info.spacing[a] = spacing[a];
      info.orientation = s.get<std::string>("image_meta.orientation");
      info.pixel_type = s.get<std::string>("image_meta.pixel_type");
      info.channels = s.get<int64_t>("image_meta.channels");
      if (i < masks.size() && !masks[i].empty()) {
        NDict m;
        m.set("path", masks[i]);
        full.forward(m);
        info.mask_path = masks[i];
        count_labels(m.get<Tensor>("mask"), info.label_voxels);
        info.mask_grid = grid_difference(grid_of(s, "image_meta"), grid_of(m, "mask_meta"));
      }
    };
  });
  return out;
}

std::vector<std::string> grid_differences(const Registry& registry, const std::vector<std::string>& volumes, const std::vector<std::string>& others,
                                          size_t threads) {
  std::vector<std::string> out(volumes.size());
  in_parallel(volumes.size(), threads, [&] {
    Op header = registry.create_op("fuse.io.read_medical", bj::parse(R"({"path_key": "path", "key": "image", "header_only": true})").as_object());
    return [&, header = std::move(header)](size_t i) mutable {
      NDict a, b;
      a.set("path", volumes[i]);
      b.set("path", others.at(i));
      header.forward(a);
      header.forward(b);
      out[i] = grid_difference(grid_of(a, "image_meta"), grid_of(b, "image_meta"));
    };
  });
  return out;
}

std::vector<double> nonzero_box_shares(const Registry& registry, const std::vector<std::string>& volumes, size_t threads) {
  std::vector<double> out(volumes.size());
  in_parallel(volumes.size(), threads, [&] {
    Op read = registry.create_op("fuse.io.read_medical", bj::parse(R"({"path_key": "path", "key": "image"})").as_object());
    Op crop = registry.create_op("fuse.medical.crop_nonzero", bj::parse(R"({"keys": ["image"]})").as_object());  // the box the template keeps
    return [&, read = std::move(read), crop = std::move(crop)](size_t i) mutable {
      NDict s;
      s.set("path", volumes[i]);
      read.forward(s);
      const double before = static_cast<double>(s.get<Tensor>("image").numel());
      crop.forward(s);
      out[i] = before > 0 ? static_cast<double>(s.get<Tensor>("image").numel()) / before : 1.0;
    };
  });
  return out;
}

DatasetSummary summarize(std::vector<ImageInfo> images) {
  DatasetSummary s;
  s.images = std::move(images);
  s.photographs = !s.images.empty() && std::all_of(s.images.begin(), s.images.end(), [](const ImageInfo& i) { return i.photograph; });
  if (s.photographs) s.orientation.clear();
  for (const ImageInfo& i : s.images) {
    std::array<double, 3> spacing;
    for (size_t a = 0; a < 3; ++a) spacing[a] = rounded(i.spacing[a]);
    auto g = std::find_if(s.groups.begin(), s.groups.end(),
                          [&](const SummaryGroup& x) { return x.size == i.size && x.spacing == spacing && x.orientation == i.orientation; });
    if (g == s.groups.end()) s.groups.push_back(SummaryGroup{i.size, spacing, i.orientation, 1});
    else ++g->count;
    for (const auto& [label, voxels] : i.label_voxels) s.label_voxels[label] += voxels;
  }
  std::stable_sort(s.groups.begin(), s.groups.end(), [](const SummaryGroup& a, const SummaryGroup& b) { return a.count > b.count; });
  if (s.images.empty()) return s;
  // Per axis, the most common spacing (ties: the smaller, which keeps detail).
  for (size_t a = 0; a < 3; ++a) {
    std::map<double, size_t> counts;
    for (const ImageInfo& i : s.images) ++counts[rounded(i.spacing[a])];
    size_t best = 0;
    for (const auto& [spacing, n] : counts)
      if (n > best) best = n, s.spacing[a] = spacing;
  }
  for (const ImageInfo& i : s.images) {
    s.reorient = s.reorient || (!s.photographs && i.orientation != s.orientation);
    for (size_t a = 0; a < 3; ++a)
      s.largest_size[a] = std::max(s.largest_size[a], static_cast<int64_t>(std::llround(static_cast<double>(i.size[a]) * i.spacing[a] / s.spacing[a])));
  }
  return s;
}

bj::object summary_json(const DatasetSummary& s) {
  auto ints = [](const std::array<int64_t, 3>& v) { return bj::array{v[0], v[1], v[2]}; };
  auto reals = [](const std::array<double, 3>& v) { return bj::array{v[0], v[1], v[2]}; };
  auto labels = [](const std::map<int64_t, int64_t>& m) {
    bj::object o;
    for (const auto& [label, voxels] : m) o[std::to_string(label)] = voxels;
    return o;
  };
  bj::array images;
  for (const ImageInfo& i : s.images) {
    bj::object o{{"path", i.path}, {"size", ints(i.size)}, {"spacing", reals(i.spacing)}, {"orientation", i.orientation},
                 {"pixel_type", i.pixel_type}, {"channels", i.channels}};
    if (!i.mask_path.empty()) {
      o["mask"] = bj::object{{"path", i.mask_path}, {"labels", labels(i.label_voxels)}};
      if (!i.mask_grid.empty()) o["mask"].as_object()["grid"] = "image " + i.mask_grid + " (mask)";
    }
    images.push_back(std::move(o));
  }
  bj::array groups;
  for (const SummaryGroup& g : s.groups)
    groups.push_back(bj::object{{"size", ints(g.size)}, {"spacing", reals(g.spacing)}, {"orientation", g.orientation}, {"count", g.count}});
  return bj::object{{"images", std::move(images)},
                    {"groups", std::move(groups)},
                    {"suggestion", bj::object{{"spacing", reals(s.spacing)}, {"reorient", s.reorient}, {"orientation", s.orientation},
                                              {"largest_size", ints(s.largest_size)}}},
                    {"labels", labels(s.label_voxels)},
                    {"photographs", s.photographs}};
}

}  // namespace fuse::data
