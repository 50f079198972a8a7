"""Your own images as a data set in memory: one folder per class, with or without train/ and val/ splits.

    photos/train/ants/*.jpg  photos/train/bees/*.jpg      split layout (val/ optional)
    photos/val/ants/*.jpg    photos/val/bees/*.jpg
    photos/ants/*.jpg        photos/bees/*.jpg            flat layout: a seeded, stratified val split

Class names are the folder names, sorted. Every file is checked once by `scan_image_folder`; files
that cannot be used are reported at the end, never mid-epoch. Images are decoded once, by a DataLoader
with worker processes, resized (shorter side → size, then centre crop) and kept as one uint8 tensor
(N, size, size, 3) — the same form as CIFAR-10 — so training uses the fast in-memory TensorLoader
and every later epoch costs no decoding at all. A set whose pixels would not fit in MEMORY_BUDGET_BYTES
is refused with the fix (a smaller --image-size) rather than swapping the machine to a halt.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..errors import DataError
from ..i18n import _
from .imagedata import ArraySplit, ImageData
from .images import open_rgb, resize_square
from .scan import FolderScan, detect_folder_layout, scan_image_folder

MEMORY_BUDGET_BYTES = 2 * 1024**3  # decoded uint8 pixels kept in RAM at most; above this: a clear error


def stratified_split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, val indices): `val_fraction` of every class, at least one image of each class with ≥ 2."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_val = min(len(members) - 1, max(1, round(val_fraction * len(members)))) if len(members) > 1 else 0
        val.append(members[:n_val])
        train.append(members[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


class DecodedImages(Dataset):
    """(uint8 (size, size, 3) tensor, label) per file; module-level so worker processes can unpickle it."""

    def __init__(self, samples: list[tuple[Path, int]], size: int) -> None:
        self.samples, self.size = samples, size

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        pixels = np.asarray(resize_square(open_rgb(path), self.size), dtype=np.uint8)
        return torch.from_numpy(pixels.copy()), label


def default_workers() -> int:
    return min(4, os.cpu_count() or 1)


def decode_split(samples: list[tuple[Path, int]], size: int, workers: int | None = None) -> ArraySplit:
    """Decode every image once, in parallel worker processes, into one (N, size, size, 3) uint8 tensor."""
    workers = default_workers() if workers is None else workers
    loader = DataLoader(DecodedImages(samples, size), batch_size=32, num_workers=workers)
    images, labels = zip(*loader) if samples else ((), ())
    return ArraySplit(torch.cat(images) if images else torch.zeros(0, size, size, 3, dtype=torch.uint8),
                      torch.cat(labels).long() if labels else torch.zeros(0, dtype=torch.int64))


def _check_same_classes(train: FolderScan, val: FolderScan) -> None:
    if train.classes != val.classes:
        raise DataError(_("the class folders of {val} ({val_classes}) differ from those of {train} "
                          "({train_classes})").format(val=val.root, val_classes=", ".join(val.classes),
                                                      train=train.root, train_classes=", ".join(train.classes)),
                        _("give train/ and val/ the same class folders, names spelled the same"))


def load_image_folder(root: Path | str, *, image_size: int, val_fraction: float = 0.2, seed: int = 0,
                      workers: int | None = None) -> ImageData:
    """Scan, split and decode the image folders under `root` (see the module docstring for the layouts)."""
    root = Path(root)
    layout = detect_folder_layout(root)
    if layout is None:
        raise DataError(_("{path} holds neither CIFAR-10 nor class folders of images").format(path=root),
                        _("use root/<class>/<images> (optionally under train/ and val/), "
                          "or a folder with cifar-10-batches-py/ or train.npz + test.npz"))
    train_scan = scan_image_folder(layout.train_root)
    if len(train_scan.classes) < 2:
        raise DataError(_("{path} has only one class folder ({name}): a classifier needs at least two classes to "
                          "learn anything (with one, every guess is right)").format(
                            path=layout.train_root, name=train_scan.classes[0]),
                        _("add a folder of images for each other class, side by side with it"))
    skipped = list(train_scan.skipped_lines())
    if layout.val_root is not None:
        val_scan = scan_image_folder(layout.val_root)
        _check_same_classes(train_scan, val_scan)
        skipped += val_scan.skipped_lines()
        train_samples, val_samples, note = list(train_scan.samples), list(val_scan.samples), ""
    else:
        labels = np.array([label for _path, label in train_scan.samples])
        train_idx, val_idx = stratified_split(labels, val_fraction, seed)
        train_samples = [train_scan.samples[i] for i in train_idx]
        val_samples = [train_scan.samples[i] for i in val_idx]
        note = _(" (no val/ folder: {share:.0%} of each class held out, seed {seed})").format(
            share=val_fraction, seed=seed)
    if not val_samples:
        raise DataError(_("{path} leaves no images to validate on: every class has a single image, and the one "
                          "image of a class is kept for training").format(path=root),
                        _("add images (at least 2 per class, better 20+), or put validation images in a val/ folder "
                          "next to train/"))
    needed = (len(train_samples) + len(val_samples)) * image_size * image_size * 3
    if needed > MEMORY_BUDGET_BYTES:
        raise DataError(_("{path} needs {gb:.1f} GB of memory at {size}×{size} pixels").format(
            path=root, gb=needed / 1e9, size=image_size), _("use a smaller --image-size, or a subset of the images"))
    return ImageData(train=decode_split(train_samples, image_size, workers),
                     test=decode_split(val_samples, image_size, workers), classes=train_scan.classes,
                     source=str(root), layout=layout.kind, image_size=image_size, skipped=tuple(skipped),
                     split_note=note)


def channel_stats(split: ArraySplit) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel (mean, std) of pixel/255 over a split — the normalisation for a model without declared stats."""
    pixels = split.images.reshape(-1, 3).double() / 255
    return tuple(pixels.mean(0).tolist()), tuple(pixels.std(0).clamp_min(1e-3).tolist())
