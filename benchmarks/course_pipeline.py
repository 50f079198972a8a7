"""The course's CIFAR-10 training script, as a learner writes it from the course (总体过程).

torchvision's CIFAR10 dataset with `ToTensor()`, `DataLoader(batch_size=64)`, the course
model, `CrossEntropyLoss`, `SGD(lr=0.01)`, a test pass after every epoch. Two changes only,
both for measuring: it stops after `--budget-s` seconds of training (finishing with a test
pass), and it prints one JSON line per epoch instead of the course's prints.

    python benchmarks/course_pipeline.py ROOT --budget-s 240

ROOT must hold `cifar-10-batches-py/` (vs_course.py writes one from the shared npz files).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader


class Tudui(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, 1, 2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, 1, 2), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, 1, 2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 4 * 4, 64), nn.Linear(64, 10))

    def forward(self, x):
        return self.model(x)


class CIFAR10(torchvision.datasets.CIFAR10):
    """torchvision's CIFAR10, minus its md5 check: the shared copy is re-encoded, so checksums differ.

    Loading is unchanged: pickled batches → one numpy array → PIL image per item → ToTensor.
    """

    def _check_integrity(self) -> bool:
        return True

    def _load_meta(self) -> None:
        self.classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--budget-s", type=float, default=240.0, help="stop after this much training time")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)

    train_data = CIFAR10(args.root, train=True, transform=torchvision.transforms.ToTensor())
    test_data = CIFAR10(args.root, train=False, transform=torchvision.transforms.ToTensor())
    train_loader = DataLoader(train_data, batch_size=64)  # as in the course: no shuffle
    test_loader = DataLoader(test_data, batch_size=64)

    torch.manual_seed(0)
    tudui = Tudui().to(device)
    loss_fn = nn.CrossEntropyLoss().to(device)
    optimizer = torch.optim.SGD(tudui.parameters(), lr=0.01)

    train_seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        tudui.train()
        start, images, out_of_time = time.perf_counter(), 0, False
        for imgs, targets in train_loader:
            imgs, targets = imgs.to(device), targets.to(device)
            loss = loss_fn(tudui(imgs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            images += len(targets)
            if train_seconds + time.perf_counter() - start > args.budget_s:
                out_of_time = True
                break
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        train_seconds += seconds
        tudui.eval()
        correct = 0
        with torch.no_grad():
            for imgs, targets in test_loader:
                imgs, targets = imgs.to(device), targets.to(device)
                correct += (tudui(imgs).argmax(1) == targets).sum().item()
        print(json.dumps({"epoch": epoch, "complete": not out_of_time, "train_images": images,
                          "train_seconds": seconds, "cumulative_train_seconds": train_seconds,
                          "train_images_per_s": images / seconds, "test_accuracy": correct / len(test_data),
                          "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
        if out_of_time:
            break


if __name__ == "__main__":
    main()
