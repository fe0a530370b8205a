"""The nodule3d training step of bench/train_step_bench.cc in PyTorch (Python): the same network, batch and
optimiser, for the comparison in bench/train_vs_pytorch.sh. Prints milliseconds per step (median of 5 runs)."""
import statistics
import sys
import time

import torch
from torch import nn


class Unit(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.body = nn.Sequential(nn.Conv3d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm3d(cout), nn.PReLU(),
                                  nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout))
        self.skip = nn.Sequential(nn.Conv3d(cin, cout, 1, stride=2, bias=False), nn.BatchNorm3d(cout))
        self.act = nn.PReLU()

    def forward(self, x):
        return self.act(self.body(x) + self.skip(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.units = nn.Sequential(Unit(1, 16), Unit(16, 32), Unit(32, 64))
        self.dropout = nn.Dropout(0.1)
        self.fc = nn.Linear(64, 2)

    def forward(self, x):
        return self.fc(self.dropout(self.units(x).flatten(2).mean(2)))


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = Net().train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=0.003, weight_decay=1e-4)
    x, y = torch.rand(32, 1, 28, 28, 28), torch.randint(0, 2, (32,))

    def step():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(3):
        step()
    runs = []
    for _ in range(5):
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 2.0:
            step()
            n += 1
        runs.append((time.perf_counter() - start) / n * 1000)
    print(f"{statistics.median(runs):.1f}")


if __name__ == "__main__":
    main()
