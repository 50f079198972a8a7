"""The one in-memory data type: what CIFAR-10 and image folders both become.

A data set is two splits of uint8 images (N, H, W, 3) in the files' own HWC layout, with integer
labels, plus where it came from. Training, evaluation and the loader only ever see this type, so
CIFAR-10 from any source and your own image folders go through exactly the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..i18n import N_, _, ngettext

GET_FULL_SET = N_("for the full set: torchstart train --data-dir DIR (cifar-10-batches-py/ or train.npz+test.npz) "
                  "or --download")  # shown with _(GET_FULL_SET)
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
            line = _("using image folders from {source} ({layout} layout): {n} classes ({names}), {train} train / "
                     "{val} val images at {size}×{size}{note}").format(
                source=self.source, layout=self.layout, n=len(self.classes), names=", ".join(self.classes),
                train=len(self.train), val=len(self.test), size=self.image_size, note=self.split_note)
            if self.skipped:
                line += ngettext("; {n} file skipped (listed at the end)", "; {n} files skipped (listed at the end)",
                                 len(self.skipped)).format(n=len(self.skipped))
            return line
        if self.is_sample:
            return _("using the embedded CIFAR-10 sample (real images), {train} train / {test} test — {more}").format(
                train=len(self.train), test=len(self.test), more=_(GET_FULL_SET))
        return _("using CIFAR-10 from {source} ({layout}), {train} train / {test} test").format(
            source=self.source, layout=self.layout, train=len(self.train), test=len(self.test))
