"""The one in-memory data type: what CIFAR-10 and image folders both become.

A data set is two splits of uint8 images (N, H, W, 3) in the files' own HWC layout, with integer
labels, plus where it came from. Training, evaluation and the loader only ever see this type, so
CIFAR-10 from any source and your own image folders go through exactly the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

GET_FULL_SET = ("for the full set: torchstart train --data-dir DIR (cifar-10-batches-py/ or train.npz+test.npz) "
                "or --download")
CIFAR_LAYOUTS = ("npz", "torchvision", "sample")  # where CIFAR-10 came from
FOLDER_LAYOUTS = ("split", "flat")  # image folders with train/ (and val/) folders, or class folders directly


@dataclass(frozen=True)
class ArraySplit:
    """One split: `images` uint8 (N, H, W, 3) RGB (HWC, as stored), `labels` int64 (N,)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, n: int, seed: int) -> ArraySplit:
        """A seeded random subset of `n` images (the files are sorted by class, so never take the first n)."""
        if n >= len(self):
            return self
        idx = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        return ArraySplit(self.images[idx], self.labels[idx])


@dataclass(frozen=True)
class ImageData:
    """A labelled image data set in memory: training images and the images a run is tested on."""

    train: ArraySplit
    test: ArraySplit  # CIFAR-10's test set, or an image folder's validation split
    classes: tuple[str, ...]  # class names; label i is classes[i]
    source: str  # a path, or "embedded sample"
    layout: str  # one of CIFAR_LAYOUTS or FOLDER_LAYOUTS
    image_size: int = 32  # side in pixels of every image
    skipped: tuple[str, ...] = ()  # image folders: one line per file left out, to print at the end of a run
    split_note: str = ""  # image folders: how the validation images were chosen

    @property
    def is_sample(self) -> bool:
        return self.layout == "sample"

    @property
    def is_folder(self) -> bool:
        """Image folders (class names from folder names), not CIFAR-10."""
        return self.layout in FOLDER_LAYOUTS

    def describe(self) -> str:
        """The one line a run prints about its data."""
        if self.is_folder:
            return (f"using image folders from {self.source} ({self.layout} layout): {len(self.classes)} classes "
                    f"({', '.join(self.classes)}), {len(self.train)} train / {len(self.test)} val images at "
                    f"{self.image_size}×{self.image_size}{self.split_note}"
                    + (f"; {len(self.skipped)} files skipped (listed at the end)" if self.skipped else ""))
        counts = f"{len(self.train)} train / {len(self.test)} test"
        if self.is_sample:
            return f"using the embedded CIFAR-10 sample (real images), {counts} — {GET_FULL_SET}"
        return f"using CIFAR-10 from {self.source} ({self.layout}), {counts}"
