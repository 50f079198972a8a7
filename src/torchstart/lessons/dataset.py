"""Lesson 3 — your own Dataset: the label is the folder name (课程第四章：Dataset 与 DataLoader).

中文：照着课程写一个自定义 Dataset：`hymenoptera_data/train/ants` 里的每张图片标签是 "ants"，`bees` 同理。
两个数据集用 `+` 拼成训练集（长度相加），再交给 `DataLoader(shuffle=True)` 分批。顺便看三个真实的坑：
文件夹里混着 GIF 这类非 RGB 图片（统一转成 RGB）；PIL 图片不能直接组成批次（要先变成张量）；
`num_workers > 0` 在 Windows / macOS 上必须放在 `if __name__ == "__main__":` 之下。

English: write the course's custom Dataset, where every image in `hymenoptera_data/train/ants` has the label
"ants" and likewise for `bees`. Join the two with `+` (the lengths add up) and batch them with
`DataLoader(shuffle=True)`. On the way, meet three real pitfalls: the folder holds a GIF and other non-RGB
images (convert everything to RGB), PIL images cannot be collated into a batch (turn them into tensors first),
and `num_workers > 0` needs the `if __name__ == "__main__":` guard on Windows and macOS.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision import transforms

from ..data.hymenoptera import LabelFolder, hymenoptera_root
from .runner import lesson_main

SIZE = 64  # pixels; every image is resized to SIZE×SIZE so a batch can be one tensor
BATCH_SIZE = 8


@dataclass
class Result:
    root: Path  # the train/ folder that was read
    ants: int  # images in train/ants
    bees: int  # images in train/bees
    train: int  # len(ants + bees)
    first_label: str  # label of train[0]
    first_size: tuple[int, int]  # (width, height) of train[0], as PIL reports it
    modes_on_disk: dict[str, int]  # PIL mode → number of files, before any conversion
    modes_returned: list[str]  # modes LabelFolder hands out (always just RGB)
    collate_error: str  # what DataLoader says when asked to batch PIL images
    batch_shape: list[int]  # (B, 3, SIZE, SIZE) once a transform makes tensors
    batch_labels: list[str]  # labels of that batch: strings are collated into a list
    start_method: str  # how this OS starts DataLoader workers: fork (Linux) or spawn (Windows, macOS)
    worker_images: int  # images delivered by a DataLoader with 2 worker processes


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    root = hymenoptera_root(data_dir) / "train"

    # The course's Dataset: one instance per class folder; the folder name is the label.
    ants = LabelFolder(root, "ants")
    bees = LabelFolder(root, "bees")
    train = ants + bees  # Dataset.__add__ → ConcatDataset: ants first, then bees
    first_image, first_label = train[0]

    # What is really on disk: Image.open without conversion shows the modes the files are stored in.
    modes = Counter()
    for dataset in (ants, bees):
        for name in dataset.img_names:
            with Image.open(dataset.path / name) as image:
                modes[image.mode] += 1
    returned = sorted({image.mode for image, _ in train})

    # Pitfall: the course hands PIL images to DataLoader. Batching needs tensors, so collation fails.
    try:
        next(iter(DataLoader(train, batch_size=BATCH_SIZE)))
        collate_error = ""
    except TypeError as err:
        collate_error = str(err).splitlines()[0]

    # Fix: a transform turns each RGB image into a (3, SIZE, SIZE) float tensor in [0, 1].
    to_tensor = transforms.Compose([transforms.Resize((SIZE, SIZE)), transforms.ToTensor()])
    train_t = LabelFolder(root, "ants", to_tensor) + LabelFolder(root, "bees", to_tensor)
    generator = torch.Generator().manual_seed(0)  # a seeded shuffle, so the lesson prints the same batch
    images, labels = next(iter(DataLoader(train_t, batch_size=BATCH_SIZE, shuffle=True, generator=generator)))

    # Worker processes decode images in parallel. On spawn systems each worker re-imports the main module,
    # which is why the loop must sit under `if __name__ == "__main__":` (see main() below).
    workers = DataLoader(train_t, batch_size=BATCH_SIZE, num_workers=2)
    worker_images = sum(batch.shape[0] for batch, _ in workers)

    return Result(root=root, ants=len(ants), bees=len(bees), train=len(train), first_label=first_label,
                  first_size=first_image.size, modes_on_disk=dict(sorted(modes.items())), modes_returned=returned,
                  collate_error=collate_error, batch_shape=list(images.shape), batch_labels=list(labels),
                  start_method=torch.multiprocessing.get_start_method(), worker_images=worker_images)


def describe(result: Result) -> str:
    modes = ", ".join(f"{mode} ×{n}" for mode, n in result.modes_on_disk.items())
    return "\n".join([
        f"folder: {result.root}",
        f"ants {result.ants} + bees {result.bees} = train {result.train} images",
        f"train[0]: label {result.first_label!r}, size {result.first_size[0]}×{result.first_size[1]}",
        f"modes on disk: {modes}; LabelFolder returns: {', '.join(result.modes_returned)}",
        f"DataLoader over PIL images fails: {result.collate_error}",
        f"with Resize + ToTensor a shuffled batch is {tuple(result.batch_shape)}, labels {result.batch_labels}",
        f"2 workers ({result.start_method}) delivered {result.worker_images} images",
    ])


def main(argv: list[str] | None = None) -> int:
    return lesson_main("dataset", argv)


if __name__ == "__main__":  # required for num_workers > 0 on Windows and macOS (spawn)
    raise SystemExit(main())
