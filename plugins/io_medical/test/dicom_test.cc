#include <gtest/gtest.h>

#include <itkGDCMImageIO.h>
#include <itkImage.h>
#include <itkImageFileWriter.h>
#include <itkMetaDataObject.h>

#include "test_support.h"
#include "volume_sample.h"

namespace fuse::io_medical {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::run_op;
using fuse::testing::values;
using testing::doubles;

// A CT-like series: `slices` files of 3 x 2 int16 pixels, 2.5 mm apart along z.
void write_series(const std::filesystem::path& dir, int slices, const std::string& series_uid) {
  using Slice = itk::Image<int16_t, 2>;
  for (int z = 0; z < slices; ++z) {
    auto image = Slice::New();
    Slice::RegionType region;
    region.SetSize({{3, 2}});
    image->SetRegions(region);
    image->Allocate();
    const double spacing[2] = {0.6, 0.8};  // GDCM writes the image's own spacing and origin
    image->SetSpacing(spacing);
    const double origin[2] = {-5, 7};
    image->SetOrigin(origin);
    for (int i = 0; i < 6; ++i) image->GetBufferPointer()[i] = static_cast<int16_t>(100 * z + i);
    auto io = itk::GDCMImageIO::New();
    io->KeepOriginalUIDOn();
    itk::MetaDataDictionary& tags = image->GetMetaDataDictionary();  // the writer hands the image's tags to the IO
    itk::EncapsulateMetaData<std::string>(tags, "0008|0060", "CT");
    itk::EncapsulateMetaData<std::string>(tags, "0020|000d", "1.2.826.0.1.3680043.2.1125.1");
    itk::EncapsulateMetaData<std::string>(tags, "0020|000e", series_uid);
    itk::EncapsulateMetaData<std::string>(tags, "0008|0018", series_uid + "." + std::to_string(z + 1));
    itk::EncapsulateMetaData<std::string>(tags, "0020|0013", std::to_string(z + 1));
    itk::EncapsulateMetaData<std::string>(tags, "0020|0032", "-5\\7\\" + std::to_string(2.5 * z));
    itk::EncapsulateMetaData<std::string>(tags, "0020|0037", "1\\0\\0\\0\\1\\0");
    itk::EncapsulateMetaData<std::string>(tags, "0028|0030", "0.8\\0.6");
    itk::EncapsulateMetaData<std::string>(tags, "0018|0050", "2.5");
    auto writer = itk::ImageFileWriter<Slice>::New();
    writer->SetInput(image);
    writer->SetImageIO(io);
    writer->SetFileName((dir / ("slice" + std::to_string(z) + ".dcm")).string());
    writer->Update();
  }
}

TEST(ReadDicom, ASeriesFolderBecomesOneVolume) {
  const auto dir = fresh_dir("dicom_series");
  write_series(dir, 4, "1.2.826.0.1.3680043.2.1125.2");
  NDict s;
  s.set("data.path", dir.string());
  const NDict out = run_op("fuse.io.read_medical", "{}", s);
  const Tensor& t = out.get<Tensor>("data.image");
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{1, 4, 2, 3}));
  EXPECT_EQ(values<int32_t>(t)[6 * 3 + 5], 305);
  const std::vector<double> spacing = doubles(out, "data.image_meta.spacing");
  EXPECT_NEAR(spacing[0], 0.6, 1e-6);  // DICOM gives row spacing first
  EXPECT_NEAR(spacing[1], 0.8, 1e-6);
  EXPECT_NEAR(spacing[2], 2.5, 1e-6);
  EXPECT_EQ(doubles(out, "data.image_meta.origin"), (std::vector<double>{-5, 7, 0}));
  EXPECT_EQ(out.get<std::string>("data.image_meta.orientation"), "LPS");
}

TEST(ReadDicom, FoldersWithoutOneSeriesAreRefused) {
  const auto dir = fresh_dir("dicom_bad");
  NDict s;
  s.set("data.path", dir.string());
  EXPECT_EQ(error_of([&] { run_op("fuse.io.read_medical", "{}", s); }),
            "op 'fuse.io.read_medical' (plugin 'fuse.io_medical'): '" + dir.string() + "' holds no DICOM series");
  // Two series side by side: which one is meant cannot be guessed.
  write_series(dir, 2, "1.2.3.4");
  std::filesystem::create_directories(dir / "other");
  write_series(dir / "other", 2, "1.2.3.5");
  for (const auto& f : std::filesystem::directory_iterator(dir / "other"))
    std::filesystem::rename(f.path(), dir / ("b_" + f.path().filename().string()));
  EXPECT_EQ(error_of([&] { run_op("fuse.io.read_medical", "{}", s); }),
            "op 'fuse.io.read_medical' (plugin 'fuse.io_medical'): '" + dir.string() +
                "' holds 2 DICOM series (1.2.3.4.2.523, 1.2.3.5.2.523); put each series in its own folder");
}

}  // namespace
}  // namespace fuse::io_medical
