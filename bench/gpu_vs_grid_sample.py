#!/usr/bin/env python3
"""The baseline for bench/gpu_bench's BM_GpuAffine and BM_GpuAffineElastic: PyTorch's affine_grid + grid_sample on
the same GPU (the path MONAI's GPU affine takes), for a batch of 8 images 128^3 (trilinear) and their labels
(nearest); with elastic, a 7^3 control grid of displacements upsampled to a dense field (trilinear, as MONAI's
Rand3DElastic does on the GPU) and added to the grid before sampling.
Run on the GPU machine: python3 bench/gpu_vs_grid_sample.py  -> milliseconds per batch (median) and voxels/s."""
import math

import torch
import torch.nn.functional as F


def main():
    dev = torch.device("cuda")
    n, side, control = 8, 128, 7
    img = torch.rand(n, 1, side, side, side, device=dev)
    seg = torch.randint(0, 3, (n, 1, side, side, side), device=dev).float()
    a = math.radians(10.0)
    theta = torch.tensor([[math.cos(a), -math.sin(a), 0, 0], [math.sin(a), math.cos(a), 0, 0], [0, 0, 1.05, 0]], device=dev)
    theta = theta.unsqueeze(0).repeat(n, 1, 1)
    scale = 7.5 / (side / 2)  # 7.5 voxels in grid units [-1, 1]

    def affine():
        grid = F.affine_grid(theta, img.shape, align_corners=True)
        return F.grid_sample(img, grid, mode="bilinear", align_corners=True), F.grid_sample(seg, grid, mode="nearest", align_corners=True)

    def elastic():
        points = (torch.rand(n, 3, control, control, control, device=dev) * 2 - 1) * scale
        field = F.interpolate(points, size=(side, side, side), mode="trilinear", align_corners=True)
        grid = F.affine_grid(theta, img.shape, align_corners=True) + field.permute(0, 2, 3, 4, 1)
        return F.grid_sample(img, grid, mode="bilinear", align_corners=True), F.grid_sample(seg, grid, mode="nearest", align_corners=True)

    for name, step in (("affine", affine), ("affine + elastic", elastic)):
        for _ in range(3):
            step()
        torch.cuda.synchronize()
        times = []
        for _ in range(30):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            step()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end))
        ms = sorted(times)[len(times) // 2]
        print(f"grid_sample {name}, {n} x {side}^3 image + label: {ms:.3f} ms per batch (median of 30), {n * side ** 3 / ms * 1e3:.3g} voxels/s")


if __name__ == "__main__":
    main()
