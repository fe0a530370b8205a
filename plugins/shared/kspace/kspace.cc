#include "kspace.h"

#include <algorithm>

#include <opencv2/core.hpp>

namespace fuse::kspace {
namespace {

// The 2D transform of every z slice, then the 1D transform along z (lines gathered as the rows of a matrix).
// std::complex<double> has the layout of OpenCV's two-channel doubles, so the spectrum is transformed in place.
void transform(Spectrum& s, Extent size, bool inverse) {
  const int flags = inverse ? cv::DFT_INVERSE | cv::DFT_SCALE : 0;
  const int64_t plane = size.x * size.y;
  cv::Mat out;
  for (int64_t z = 0; z < size.z; ++z) {
    cv::Mat slice(static_cast<int>(size.y), static_cast<int>(size.x), CV_64FC2, &s[static_cast<size_t>(z * plane)]);
    cv::dft(slice, out, flags);
    out.copyTo(slice);
  }
  if (size.z == 1) return;
  // Along z in blocks of lines small enough to stay in cache (one big matrix of rows runs several times
  // slower): each block's lines gathered as rows, transformed, and scattered back.
  constexpr int64_t kBlock = 128;
  Spectrum lines(static_cast<size_t>(kBlock * size.z));
  for (int64_t first = 0; first < plane; first += kBlock) {
    const int64_t n = std::min(kBlock, plane - first);
    for (int64_t z = 0; z < size.z; ++z)
      for (int64_t b = 0; b < n; ++b) lines[static_cast<size_t>(b * size.z + z)] = s[static_cast<size_t>(z * plane + first + b)];
    cv::Mat rows(static_cast<int>(n), static_cast<int>(size.z), CV_64FC2, lines.data());
    cv::dft(rows, out, flags | cv::DFT_ROWS);
    const std::complex<double>* t = out.ptr<std::complex<double>>();
    for (int64_t z = 0; z < size.z; ++z)
      for (int64_t b = 0; b < n; ++b) s[static_cast<size_t>(z * plane + first + b)] = t[b * size.z + z];
  }
}

}  // namespace

template <class T>
Spectrum forward(const T* volume, Extent size) {
  Spectrum s(static_cast<size_t>(size.count()));
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<double>(volume[i]);
  transform(s, size, false);
  return s;
}

template <class T>
void inverse_real(Spectrum& spectrum, Extent size, T* volume) {
  transform(spectrum, size, true);
  for (size_t i = 0; i < spectrum.size(); ++i) volume[i] = static_cast<T>(spectrum[i].real());
}

int64_t unshifted(int64_t centred, int64_t n) { return ((centred - n / 2) % n + n) % n; }

template Spectrum forward<float>(const float*, Extent);
template Spectrum forward<double>(const double*, Extent);
template void inverse_real<float>(Spectrum&, Extent, float*);
template void inverse_real<double>(Spectrum&, Extent, double*);

}  // namespace fuse::kspace
