// A volume's k-space (its discrete Fourier transform) and back, for the MR artifact augmentations (spike,
// ghosting, motion), which act on the spectrum as the scanner's artifacts do. Volumes are [z][y][x] (z = 1 for
// 2D); the spectrum is complex doubles in the same layout, zero frequency at index 0 of each axis.
#ifndef FUSE_PLUGINS_SHARED_KSPACE_KSPACE_H_
#define FUSE_PLUGINS_SHARED_KSPACE_KSPACE_H_

#include <complex>
#include <cstdint>
#include <vector>

#include "geometry.h"

namespace fuse::kspace {

using Extent = volume::Size3;

using Spectrum = std::vector<std::complex<double>>;

// The DFT of a real volume (any size; OpenCV's mixed-radix transform, per slice and then along z).
template <class T>
Spectrum forward(const T* volume, Extent size);

// The inverse DFT of `spectrum` (destroyed); writes its real part to `volume`.
template <class T>
void inverse_real(Spectrum& spectrum, Extent size, T* volume);

// The k-space index of position `centred` along an axis of n where the zero frequency sits at n / 2 (the
// "fftshift" layout MR users picture k-space in): (centred - n / 2) mod n.
int64_t unshifted(int64_t centred, int64_t n);

// The offset of the k-space element at `index` (x, y, z).
inline int64_t offset(const int64_t index[3], Extent size) { return (index[2] * size.y + index[1]) * size.x + index[0]; }

}  // namespace fuse::kspace

#endif  // FUSE_PLUGINS_SHARED_KSPACE_KSPACE_H_
