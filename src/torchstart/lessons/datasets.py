"""Lesson 7 — torchvision's CIFAR10 dataset with transforms and a DataLoader (课程第七章：数据集与 transform 联用).

中文：课程用 `torchvision.datasets.CIFAR10(root, train=True, transform=..., download=True)` 取数据。本课离线做同一件事：
先把 CIFAR-10（内置的真实样本，或 `--data-dir` 里的数据）按 torchvision 自己的文件格式
（cifar-10-batches-py/：data_batch_1..5、test_batch、batches.meta）写进缓存，只写一次；再用 `download=False`
让 torchvision 的 CIFAR10 读它，看课程调试器里看到的那些属性：`len`、`.data`、`.classes`、`.targets`、
`class_to_idx`，取出一项 (图像张量, 标签)。最后按课程的写法建 `DataLoader(batch_size=64, shuffle=True,
num_workers=2)`，看 `drop_last` 怎么处理最后一个不满的批次，以及为什么多进程加载要写 `if __name__ == "__main__":`。

English: the course gets its data with `torchvision.datasets.CIFAR10(root, train=True, transform=..., download=True)`.
This lesson does the same offline: it writes CIFAR-10 (the embedded real sample, or what `--data-dir` holds) once
into the cache in torchvision's own file layout (cifar-10-batches-py/: data_batch_1..5, test_batch, batches.meta),
lets torchvision's CIFAR10 read it with `download=False`, and shows the attributes the course's debugger shows:
`len`, `.data`, `.classes`, `.targets`, `class_to_idx`, and one (image tensor, label) item. Last, the course's
`DataLoader(batch_size=64, shuffle=True, num_workers=2)`: what `drop_last` does with the last, smaller batch, and
why worker processes need `if __name__ == "__main__":`.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import CIFAR10

from ..data import find_cifar10
from ..data.cifar10 import TORCHVISION_DIR
from ..data.torchvision_files import TorchvisionCopy, torchvision_copy
from ..i18n import _
from ._shared import error_text
from .runner import lesson_main

BATCH_SIZE = 64  # the course's batch size
NUM_WORKERS = 2  # the course's DataLoader: two worker processes load the batches


class CheckedCIFAR10(CIFAR10):
    """torchvision's CIFAR10, unchanged except for the MD5s it checks: those of the files at hand.

    CIFAR10 compares each file with the MD5 of the official archive (its train_list, test_list and meta);
    files converted from another copy hold the same kind of data in other bytes, so they need their own.
    """

    def __init__(self, root: Path, md5: dict[str, str], **kwargs) -> None:
        self.train_list = [[name, md5[name]] for name, _official in CIFAR10.train_list]
        self.test_list = [[name, md5[name]] for name, _official in CIFAR10.test_list]
        self.meta = {**CIFAR10.meta, "md5": md5[CIFAR10.meta["filename"]]}
        super().__init__(root, **kwargs)


@dataclass
class LoaderCheck:
    start_method: str  # how worker processes start here: fork (Linux), spawn (Windows, macOS)
    batches: int  # DataLoader(test_set, 64, shuffle=True, num_workers=2): ⌈N / 64⌉ batches
    last_batch: int  # the size of its last batch: N mod 64 (or 64)
    batches_drop_last: int  # the same with drop_last=True: ⌊N / 64⌋, the short batch is dropped
    first_batch_shape: list[int]  # (64, 3, 32, 32)
    same_as_no_workers: bool  # the same seed gives the same batches with num_workers=0: workers only load


@dataclass
class Result:
    source: str  # the "using CIFAR-10 from …" line: where the images came from
    root: Path  # CIFAR10(root=…): the folder that holds cifar-10-batches-py/
    written: bool  # True when this run wrote the torchvision files; False when they were there already
    official_files: bool  # the official archive's files, so torchvision's own MD5s accept them
    plain_class_error: str  # what CIFAR10 itself says about files that are not the official ones ("" if none)
    train_size: int  # len(train_set)
    test_size: int
    data_shape: list[int]  # train_set.data: (N, 32, 32, 3), HWC as stored
    data_dtype: str  # uint8
    classes: list[str]  # train_set.classes: the 10 class names, index = label
    first_targets: list[int]  # train_set.targets[:10]
    class_to_idx: dict[str, int]
    image_shape: list[int]  # train_set[0][0] after ToTensor: (3, 32, 32)
    image_dtype: str  # float32
    image_range: tuple[float, float]  # ToTensor: inside [0, 1]
    normalized_range: tuple[float, float]  # the course's Normalize(0.5, 0.5) on it: inside [-1, 1]
    first_target: int  # train_set[0][1]
    first_class: str  # its name
    same_as_source: bool  # train_set.data and .targets equal the images and labels they were written from
    loader: LoaderCheck


def cifar10_class(copy: TorchvisionCopy):
    """CIFAR10 itself for the official files; for any other copy the same class told its files' MD5s."""
    return CIFAR10 if copy.official else partial(CheckedCIFAR10, md5=copy.md5)


def _passes(loader: DataLoader) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], list[int]]:
    """Each batch's labels and per-image pixel sums (enough to tell two passes apart), and the first batch's shape."""
    batches, first_shape = [], []
    for images, labels in loader:  # images (B, 3, 32, 32), labels (B,)
        first_shape = first_shape or list(images.shape)
        batches.append((labels, images.sum(dim=(1, 2, 3))))
    return batches, first_shape


def loader_check(test_set: CIFAR10) -> LoaderCheck:
    torch.manual_seed(0)  # shuffle=True draws its order from torch's generator
    # the course's loader: NUM_WORKERS processes, each loads whole batches while the main process uses them
    loader = DataLoader(test_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=NUM_WORKERS, drop_last=False)
    batches, first_shape = _passes(loader)
    torch.manual_seed(0)  # the same order again, loaded in this process, without the short last batch
    no_workers = DataLoader(test_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=0, drop_last=True)
    dropped, _shape = _passes(no_workers)
    same = all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(batches, dropped))
    return LoaderCheck(start_method=multiprocessing.get_start_method(), batches=len(batches),
                       last_batch=len(batches[-1][0]), batches_drop_last=len(dropped),
                       first_batch_shape=first_shape, same_as_no_workers=same)


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    data = find_cifar10(data_dir)  # --data-dir, the cache or the embedded sample; never a download
    copy = torchvision_copy(data)  # cifar-10-batches-py/ as found, or written once into the cache
    plain_error = "" if copy.official else error_text(lambda: CIFAR10(copy.root, train=True, download=False))
    dataset = cifar10_class(copy)
    # the course: CIFAR10(root, train=…, transform=…, download=True); offline the files are there already
    train_set = dataset(copy.root, train=True, transform=transforms.ToTensor(), download=False)
    test_set = dataset(copy.root, train=False, transform=transforms.ToTensor(), download=False)

    image, target = train_set[0]  # ToTensor: PIL uint8 HWC → float32 CHW in [0, 1]
    normalize = transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))  # chapter 七: (x − 0.5) / 0.5 → [−1, 1]
    normalized = normalize(image)
    same = (torch.equal(torch.from_numpy(train_set.data), data.train.images)
            and train_set.targets == data.train.labels.tolist())
    return Result(source=data.describe(), root=copy.root, written=copy.written, official_files=copy.official,
                  plain_class_error=plain_error, train_size=len(train_set), test_size=len(test_set),
                  data_shape=list(train_set.data.shape), data_dtype=str(train_set.data.dtype),
                  classes=list(train_set.classes), first_targets=list(train_set.targets[:10]),
                  class_to_idx=dict(train_set.class_to_idx), image_shape=list(image.shape),
                  image_dtype=str(image.dtype).removeprefix("torch."),
                  image_range=(image.min().item(), image.max().item()),
                  normalized_range=(normalized.min().item(), normalized.max().item()),
                  first_target=target, first_class=train_set.classes[target], same_as_source=same,
                  loader=loader_check(test_set))


def files_lines(result: Result) -> list[str]:
    """Where torchvision's files are and which class reads them."""
    folder = result.root / TORCHVISION_DIR
    lines = [_("torchvision's files (written once, then reused): {path}").format(path=folder)]
    if result.official_files:
        lines.append(_("their MD5s are the official archive's: torchvision.datasets.CIFAR10 itself reads them"))
    else:
        lines += [_("CIFAR10(root, download=False) on them: RuntimeError: {error}").format(
                      error=result.plain_class_error),
                  _("    (it checks every file's MD5 against the official archive; these are the same kind of "
                    "files in other bytes, so CheckedCIFAR10 — torchvision's class told their own MD5s — reads "
                    "them)")]
    return lines


def loader_lines(loader: LoaderCheck, test_size: int) -> list[str]:
    return [
        _("DataLoader(test_set, batch_size=64, shuffle=True, num_workers=2): {batches} batches, the first "
          "{shape}, the last {last} images").format(batches=loader.batches, shape=tuple(loader.first_batch_shape),
                                                    last=loader.last_batch),
        _("    drop_last=True: {batches} batches ({n} images do not fill a batch of 64 and are dropped)").format(
            batches=loader.batches_drop_last, n=test_size - loader.batches_drop_last * BATCH_SIZE),
        _("    num_workers=2 gives the same batches as num_workers=0 with the same seed: {same}").format(
            same=loader.same_as_no_workers),
        _("    workers start by {method} here. With spawn (Windows, macOS) each worker is a new Python that\n"
          "    imports your script again: keep the code that builds and loops over a DataLoader under\n"
          "    `if __name__ == \"__main__\":`, or every worker runs it again and stops with \"An attempt has\n"
          "    been made to start a new process before the current process has finished its bootstrapping phase\"")
        .format(method=loader.start_method),
    ]


def describe(result: Result) -> str:
    r = result
    return "\n".join([
        r.source, *files_lines(r),
        _("len(train_set) = {train}, len(test_set) = {test}").format(train=r.train_size, test=r.test_size),
        _("train_set.data: shape {shape}, dtype {dtype} (height, width, channel, as stored)").format(
            shape=tuple(r.data_shape), dtype=r.data_dtype),
        _("train_set.classes: {classes}").format(classes=r.classes),
        _("train_set.targets[:10]: {targets}").format(targets=r.first_targets),
        _("train_set.class_to_idx: {mapping}").format(mapping=r.class_to_idx),
        _("img, target = train_set[0]: img {shape} {dtype} in [{low:.3f}, {high:.3f}], target {target} = "
          "{name!r}").format(shape=tuple(r.image_shape), dtype=r.image_dtype, low=r.image_range[0],
                             high=r.image_range[1], target=r.first_target, name=r.first_class),
        _("the course's Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) on it: [{low:.3f}, {high:.3f}]").format(
            low=r.normalized_range[0], high=r.normalized_range[1]),
        _("train_set.data and .targets equal the images and labels they were written from: {same}").format(
            same=r.same_as_source),
        *loader_lines(r.loader, r.test_size),
    ])


def main(argv: list[str] | None = None) -> int:
    return lesson_main("datasets", argv)


if __name__ == "__main__":
    raise SystemExit(main())
