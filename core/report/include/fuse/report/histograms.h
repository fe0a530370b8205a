// Intensity histograms of several images on one chart (fuse data show --histogram; FuseMedML's
// OpVisImageHist): whether a normalisation gives every sample the same range. C linkage, like the slice grid,
// so that `fuse` opens this library only when it draws.
#ifndef FUSE_REPORT_HISTOGRAMS_H_
#define FUSE_REPORT_HISTOGRAMS_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fuse_value_series {
  const float* values;
  size_t count;
  const char* label;
} fuse_value_series;

/* One line per series: the share of its finite values in each of `bins` bins over a range common to all
 * (from the lowest 0.5th to the highest 99.5th percentile, so that padding or one bright voxel does not squeeze
 * the rest); each legend entry gives the series' mean and standard deviation. Returns 0, or 1 with a message
 * in `error`. */
int fuse_write_histograms(const fuse_value_series* series, size_t count, int bins, const char* title, const char* path, char* error,
                          unsigned long error_size);

#ifdef __cplusplus
}
#endif

#endif  // FUSE_REPORT_HISTOGRAMS_H_
