"""examples/nodule3d/experiment.json as an idiomatic PyTorch (Python) program, the baseline of
bench/train_vs_pytorch.sh: the same patches (read once into memory, as FuseMedML++'s cache holds them), the same
augmentation per sample in a DataLoader with 2 workers and class-balanced sampling, the same network, loss,
AdamW and one-cycle schedule, a validation pass with loss and AUC every epoch, batch 32, 2 threads.
Prints the training steps per second over the whole run (validation included, as fuse run's log.csv counts it).
   train_nodule3d.py DATA_FOLDER [EPOCHS]"""
import csv
import gzip
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from train_step import Net

DTYPES = {2: np.uint8, 4: np.int16, 8: np.int32, 16: np.float32, 64: np.float64, 256: np.int8, 512: np.uint16}


def read_nifti(path):
    """The voxels of a NIfTI-1 file as float32 [z, y, x] (nibabel is not installed: SciPy conflicts with Boost)."""
    raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    dim = struct.unpack_from("<8h", raw, 40)
    datatype = struct.unpack_from("<h", raw, 70)[0]
    offset = int(struct.unpack_from("<f", raw, 108)[0])
    slope, inter = struct.unpack_from("<2f", raw, 112)
    n = dim[1] * dim[2] * dim[3]
    v = np.frombuffer(raw, DTYPES[datatype], n, offset).astype(np.float32).reshape(dim[3], dim[2], dim[1])
    return v * slope + inter if slope not in (0.0, 1.0) else v


def load(folder, table):
    images, labels = [], []
    with open(f"{folder}/{table}") as f:
        for row in csv.DictReader(f):
            v = np.clip((read_nifti(f"{folder}/{row['image']}") + 1000.0) / 1400.0, 0.0, 1.0)
            images.append(torch.from_numpy(v).unsqueeze(0))
            labels.append(int(row["label"]))
    return torch.stack(images), torch.tensor(labels)


class Augmented(Dataset):
    def __init__(self, images, labels, train):
        self.images, self.labels, self.train = images, labels, train

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i]
        if self.train:
            flips = [d for d in (1, 2, 3) if torch.rand(()) < 0.5]
            if flips:
                x = x.flip(flips)
            if torch.rand(()) < 0.5:
                x = torch.rot90(x, int(torch.randint(1, 4, ())), (3, 2))
            if torch.rand(()) < 0.5:
                x = x + torch.randn_like(x) * float(torch.rand(()) * 0.02)
        return x.contiguous(), self.labels[i]


def auc(scores, labels):
    order = torch.argsort(scores)
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=scores.dtype)
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def main():
    folder = sys.argv[1]
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    torch.set_num_threads(2)
    torch.manual_seed(1)
    train_x, train_y = load(folder, "train.csv")
    val_x, val_y = load(folder, "validation.csv")
    counts = torch.bincount(train_y).double()
    sampler = WeightedRandomSampler((1.0 / counts)[train_y], len(train_y))
    train = DataLoader(Augmented(train_x, train_y, True), batch_size=32, sampler=sampler, num_workers=2, persistent_workers=True)
    val = DataLoader(Augmented(val_x, val_y, False), batch_size=32, num_workers=2, persistent_workers=True)
    net = Net()
    optimizer = torch.optim.AdamW(net.parameters(), lr=0.003, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.003, total_steps=epochs * len(train), pct_start=0.25)
    steps, start, best = 0, time.perf_counter(), 0.0
    for _ in range(epochs):
        net.train()
        for x, y in train:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(net(x), y)
            loss.backward()
            optimizer.step()
            schedule.step()
            steps += 1
        net.eval()
        scores, targets = [], []
        with torch.no_grad():
            for x, y in val:
                scores.append(torch.softmax(net(x), 1)[:, 1])
                targets.append(y)
        best = max(best, auc(torch.cat(scores), torch.cat(targets)))
    seconds = time.perf_counter() - start
    print(f"{steps / seconds:.3f} {seconds:.1f} {best:.3f}")


if __name__ == "__main__":
    main()
