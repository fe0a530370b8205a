// FUSE_HD marks a function compiled for the host and, under nvcc, for the device too: the per-voxel and per-row
// arithmetic the CPU ops and their CUDA twins share, so both compute the same numbers the same way.
#ifndef FUSE_PLUGINS_SHARED_KERNELS_HD_H_
#define FUSE_PLUGINS_SHARED_KERNELS_HD_H_

#if defined(__CUDACC__)
#define FUSE_HD __host__ __device__ inline
#else
#define FUSE_HD inline
#endif

#endif  // FUSE_PLUGINS_SHARED_KERNELS_HD_H_
