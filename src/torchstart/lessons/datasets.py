"""Lesson 7 — a torchvision-style CIFAR-10 dataset with transforms (课程第七章：数据集与 transform 联用).

中文：课程用 `torchvision.datasets.CIFAR10(root, download=True, transform=...)` 取数据，但离线或下载慢时这一步
就卡住了。本课通过 torchstart 的数据来源（`--data-dir`、缓存、下载、内置的真实样本）拿到 CIFAR-10，
包装成和 torchvision 一样用法的 Dataset：每一项是 (transform(PIL 图像), 类别编号)。配合
`ToTensor + Normalize(0.5, 0.5)`，看类别名顺序、第一张训练图的标签，以及 DataLoader 给出的 (64, 3, 32, 32) 批次。

English: the course gets its data with `torchvision.datasets.CIFAR10(root, download=True, transform=...)`, which
stalls offline or behind a slow mirror. This lesson gets CIFAR-10 through torchstart's sources (`--data-dir`, the
cache, a download, or the embedded real sample) and wraps it in a Dataset used exactly like torchvision's: each
item is (transform(PIL image), class index). With `ToTensor + Normalize(0.5, 0.5)` we look at the class names in
order, the first training image's label, and a (64, 3, 32, 32) batch from a DataLoader.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch.utils.data import DataLoader
from torchvision import transforms

from ..data import CifarDataset, find_cifar10
from .runner import lesson_main

BATCH_SIZE = 64  # the course's batch size


@dataclass
class Result:
    source: str  # the "using CIFAR-10 from …" line: which source was found
    classes: list[str]  # the 10 class names, index = label
    train_size: int
    test_size: int
    first_target: int  # label of training image 0
    first_class: str  # its class name
    image_shape: list[int]  # one transformed image: (3, 32, 32)
    value_range: tuple[float, float]  # (min, max) of that image after Normalize(0.5, 0.5): inside [-1, 1]
    batch_shape: list[int]  # images of the first batch: (64, 3, 32, 32)
    label_batch_shape: list[int]  # labels of the first batch: (64,)


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    data = find_cifar10(data_dir)  # never downloads unless asked: the course's download=True is opt-in here

    # ToTensor: PIL uint8 HWC → float CHW in [0, 1]; Normalize(0.5, 0.5): (x − 0.5) / 0.5 → [−1, 1]
    transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ])
    train_set = CifarDataset(data.train, transform=transform)  # like CIFAR10(root, train=True, transform=…)
    test_set = CifarDataset(data.test, transform=transform)  # like CIFAR10(root, train=False, transform=…)

    image, target = train_set[0]  # image (3, 32, 32), target an int in 0..9
    # num_workers=0: the data is already in memory, so worker processes would only add start-up time
    loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, num_workers=0)
    images, labels = next(iter(loader))  # images (64, 3, 32, 32), labels (64,)

    return Result(source=data.describe(), classes=list(data.classes), train_size=len(train_set),
                  test_size=len(test_set), first_target=target, first_class=data.classes[target],
                  image_shape=list(image.shape), value_range=(image.min().item(), image.max().item()),
                  batch_shape=list(images.shape), label_batch_shape=list(labels.shape))


def describe(result: Result) -> str:
    return "\n".join([
        result.source,
        f"train {result.train_size:,} images, test {result.test_size:,} images",
        "classes: " + ", ".join(f"{i} {name}" for i, name in enumerate(result.classes)),
        f"train[0]: target {result.first_target} = {result.first_class!r}; image {tuple(result.image_shape)} "
        f"with values in [{result.value_range[0]:.3f}, {result.value_range[1]:.3f}]",
        f"first DataLoader batch: images {tuple(result.batch_shape)}, labels {tuple(result.label_batch_shape)}",
    ])


def main(argv: list[str] | None = None) -> int:
    return lesson_main("datasets", argv)


if __name__ == "__main__":
    raise SystemExit(main())
