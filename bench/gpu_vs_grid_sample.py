#!/usr/bin/env python3
"""The baseline for bench/gpu_bench's BM_GpuAffineElastic: PyTorch's affine_grid + grid_sample on the same GPU
(the path MONAI's GPU affine takes), for a batch of 8 images 128^3 (trilinear) and their labels (nearest).
Run on the GPU machine: python3 bench/gpu_vs_grid_sample.py  -> milliseconds per batch and voxels/s."""
import math
import time

import torch


def main():
    dev = torch.device("cuda")
    n, side = 8, 128
    img = torch.rand(n, 1, side, side, side, device=dev)
    seg = torch.randint(0, 3, (n, 1, side, side, side), device=dev).float()
    a = math.radians(10.0)
    theta = torch.tensor([[math.cos(a), -math.sin(a), 0, 0], [math.sin(a), math.cos(a), 0, 0], [0, 0, 1.05, 0]], device=dev)
    theta = theta.unsqueeze(0).repeat(n, 1, 1)

    def step():
        grid = torch.nn.functional.affine_grid(theta, img.shape, align_corners=True)
        out = torch.nn.functional.grid_sample(img, grid, mode="bilinear", align_corners=True)
        lab = torch.nn.functional.grid_sample(seg, grid, mode="nearest", align_corners=True)
        return out, lab

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        step()
    torch.cuda.synchronize()
    ms = (time.perf_counter() - start) / rounds * 1e3
    print(f"grid_sample affine, {n} x {side}^3 image + label: {ms:.2f} ms per batch, {n * side ** 3 / ms * 1e3:.3g} voxels/s")


if __name__ == "__main__":
    main()
