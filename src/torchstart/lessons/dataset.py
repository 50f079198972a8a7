"""Lesson 3 — your own Dataset: the label is the folder name (课程第四章：Dataset 与 DataLoader).

中文：先看课程的小例子：`CustomDataset([1, 2, …, 8])` 交给 `DataLoader(batch_size=3)`，8 个数分成
3、3、2 个一批；加上 `drop_last=True`，最后那个不满的批次就被丢掉。然后照着课程写一个自定义 Dataset：
`hymenoptera_data/train/ants` 里的每张图片标签是 "ants"，`bees` 同理。
两个数据集用 `+` 拼成训练集（长度相加），再交给 `DataLoader(shuffle=True)` 分批。顺便看三个真实的坑：
文件夹里混着 GIF 这类非 RGB 图片（统一转成 RGB）；PIL 图片不能直接组成批次（要先变成张量）；
`num_workers > 0` 在 Windows / macOS 上必须放在 `if __name__ == "__main__":` 之下。

English: first the course's toy example: `CustomDataset([1, 2, …, 8])` in a `DataLoader(batch_size=3)` gives
batches of 3, 3 and 2 numbers; with `drop_last=True` the short last batch is dropped. Then write the course's
custom Dataset, where every image in `hymenoptera_data/train/ants` has the label
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
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from ..data.hymenoptera import LabelFolder, hymenoptera_root
from ..i18n import _
from .runner import lesson_main

SIZE = 64  # pixels; every image is resized to SIZE×SIZE so a batch can be one tensor
BATCH_SIZE = 8
TOY_DATA = [1, 2, 3, 4, 5, 6, 7, 8]  # the course's toy data (chapter 四, 1.3)
TOY_BATCH_SIZE = 3  # 8 = 3 + 3 + 2: the last batch is short


class CustomDataset(Dataset):
    """The course's toy Dataset: a list of numbers, one number per sample."""

    def __init__(self, data):
        self.data = data

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return self.data[index]


def toy_batches(*, drop_last: bool = False, shuffle: bool = False) -> list[list[int]]:
    """The batches DataLoader makes of CustomDataset(TOY_DATA), as plain lists.

    The course writes shuffle=True, num_workers=2; here shuffle=False by default so the batches are the same
    on every run (shuffle=True gets a seeded generator for the same reason), and the 8 numbers need no workers.
    """
    generator = torch.Generator().manual_seed(0) if shuffle else None
    loader = DataLoader(CustomDataset(TOY_DATA), batch_size=TOY_BATCH_SIZE, shuffle=shuffle, drop_last=drop_last,
                        generator=generator)
    return [batch.tolist() for batch in loader]  # each batch is a tensor: default_collate stacks the ints


@dataclass
class Result:
    toy_length: int  # len(CustomDataset(TOY_DATA))
    toy_batches: list[list[int]]  # batch_size=3, shuffle=False: [1, 2, 3], [4, 5, 6], [7, 8]
    toy_batches_drop_last: list[list[int]]  # drop_last=True: the short [7, 8] is gone
    toy_batches_shuffled: list[list[int]]  # shuffle=True (seeded): the same sizes, the numbers mixed
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
    returned = sorted({image.mode for image, _label in train})

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
    worker_images = sum(batch.shape[0] for batch, _labels in workers)

    return Result(toy_length=len(CustomDataset(TOY_DATA)), toy_batches=toy_batches(),
                  toy_batches_drop_last=toy_batches(drop_last=True), toy_batches_shuffled=toy_batches(shuffle=True),
                  root=root, ants=len(ants), bees=len(bees), train=len(train), first_label=first_label,
                  first_size=first_image.size, modes_on_disk=dict(sorted(modes.items())), modes_returned=returned,
                  collate_error=collate_error, batch_shape=list(images.shape), batch_labels=list(labels),
                  start_method=torch.multiprocessing.get_start_method(), worker_images=worker_images)


def toy_lines(result: Result) -> list[str]:
    return [
        _("CustomDataset({data}): len {length}").format(data=TOY_DATA, length=result.toy_length),
        _("    DataLoader(batch_size=3, shuffle=False): {batches}").format(batches=result.toy_batches),
        _("    the same with drop_last=True: {batches}  (the short last batch is dropped)").format(
            batches=result.toy_batches_drop_last),
        _("    shuffle=True, as the course writes (seeded here): {batches}  (a new order every epoch)").format(
            batches=result.toy_batches_shuffled),
    ]


def describe(result: Result) -> str:
    modes = ", ".join(f"{mode} ×{n}" for mode, n in result.modes_on_disk.items())
    return "\n".join([
        *toy_lines(result),
        _("folder: {root}").format(root=result.root),
        _("ants {ants} + bees {bees} = train {train} images").format(
            ants=result.ants, bees=result.bees, train=result.train),
        _("train[0]: label {label!r}, size {width}×{height}").format(
            label=result.first_label, width=result.first_size[0], height=result.first_size[1]),
        _("modes on disk: {modes}; LabelFolder returns: {returned}").format(
            modes=modes, returned=", ".join(result.modes_returned)),
        _("DataLoader over PIL images fails: {error}").format(error=result.collate_error),
        _("with Resize + ToTensor a shuffled batch is {shape}, labels {labels}").format(
            shape=tuple(result.batch_shape), labels=result.batch_labels),
        _("2 workers ({method}) delivered {count} images").format(
            method=result.start_method, count=result.worker_images),
    ])


def main(argv: list[str] | None = None) -> int:
    return lesson_main("dataset", argv)


if __name__ == "__main__":  # required for num_workers > 0 on Windows and macOS (spawn)
    raise SystemExit(main())
