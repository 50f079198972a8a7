"""Lesson 10 — max pooling and ceil_mode (课程第十章：最大池化).

中文：用课程的 5×5 输入和 3×3 池化窗口调用 `nn.MaxPool2d`：`ceil_mode=True` 时不完整的窗口也保留，得到
[[2, 3], [5, 1]]；`ceil_mode=False` 时只保留完整窗口，得到 [[2]]。再用一个手写的“窗口取最大值”函数核对。
接着像课程一样把 64 张 CIFAR-10 图像做最大池化，形状从 (64, 3, 32, 32) 变成 (64, 3, 11, 11)，池化前后的
图像都写进 TensorBoard。最后看数据类型的坑：课程一开始用的是整数张量。

English: run `nn.MaxPool2d` with a 3×3 window on the course's 5×5 input: with `ceil_mode=True` the
partial windows at the edge count too and the result is [[2, 3], [5, 1]]; with `ceil_mode=False` only
the full window does and the result is [[2]]. A hand-written "max over each window" checks both. Then,
as in the course, 64 CIFAR-10 images are max-pooled from (64, 3, 32, 32) to (64, 3, 11, 11) and both
are written to TensorBoard. Last, the dtype pitfall: the course first builds its input as integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

from ..data import CifarDataset, find_cifar10
from ..files import writable_dir
from ._shared import COURSE_INPUT
from .runner import lesson_main

INPUT = COURSE_INPUT  # the course's 5×5 grid (_shared.py), the same one the convolution lesson uses
KERNEL = 3  # 3×3 window; the stride defaults to the kernel size, so windows do not overlap
BATCH = 64  # CIFAR images pooled, as the course's DataLoader(batch_size=64)


@dataclass
class DtypeCheck:
    torch_version: str
    maxpool_int_error: str  # "" when this torch's MaxPool2d accepts int64 (older versions raised here)
    maxpool_int: list[list[int]] | None  # its result on the int64 input, when it ran
    avgpool_int: float  # top-left 3×3 mean on the int64 input: rounded down to an integer
    avgpool_float: float  # the same on float32: the true mean 10/9
    conv_int_error: str  # what the next layer (a float Conv2d) says about an int64 input


@dataclass
class Result:
    ceil_true: list[list[float]]  # 2×2: partial windows at the right and bottom edge are kept
    ceil_false: list[list[float]]  # 1×1: only the one full window
    hand_ceil_true: list[list[float]]
    hand_ceil_false: list[list[float]]
    dtype: DtypeCheck
    cifar_input: tuple[int, ...]  # (64, 3, 32, 32)
    cifar_output: tuple[int, ...]  # (64, 3, 11, 11) with ceil_mode=True
    cifar_output_floor: tuple[int, ...]  # (64, 3, 10, 10) with ceil_mode=False
    log_dir: Path
    tags: list[str]


def pooled_size(size: int, kernel: int, stride: int, ceil_mode: bool) -> int:
    """Number of windows along one side (no padding): (size − kernel) / stride rounded down or up, plus 1."""
    steps = (size - kernel) / stride
    count = (math.ceil(steps) if ceil_mode else math.floor(steps)) + 1
    if ceil_mode and (count - 1) * stride >= size:
        count -= 1  # a window must start inside the input; PyTorch drops one that would start past it
    return count


def max_pool_by_hand(grid: list[list[float]], kernel: int, stride: int | None = None,
                     ceil_mode: bool = False) -> list[list[float]]:
    """Max over each kernel×kernel window of a 2-D list; windows hanging over the edge use what is inside."""
    stride = stride or kernel
    height, width = len(grid), len(grid[0])
    rows, cols = pooled_size(height, kernel, stride, ceil_mode), pooled_size(width, kernel, stride, ceil_mode)
    return [[max(grid[r][c]
                 for r in range(i * stride, min(i * stride + kernel, height))
                 for c in range(j * stride, min(j * stride + kernel, width)))
             for j in range(cols)]
            for i in range(rows)]


def dtype_check() -> DtypeCheck:
    x_int = torch.tensor(INPUT).reshape(-1, 1, 5, 5)  # int64, as the course first wrote it
    x_float = x_int.float()
    try:
        maxpool_int, maxpool_error = nn.MaxPool2d(KERNEL, ceil_mode=True)(x_int)[0, 0].tolist(), ""
    except (RuntimeError, NotImplementedError) as err:  # older torch: "not implemented for 'Long'"
        maxpool_int, maxpool_error = None, str(err)
    try:
        nn.Conv2d(1, 1, KERNEL)(x_int)
        conv_error = ""
    except RuntimeError as err:
        conv_error = str(err)
    return DtypeCheck(torch_version=torch.__version__, maxpool_int_error=maxpool_error, maxpool_int=maxpool_int,
                      avgpool_int=float(F.avg_pool2d(x_int, KERNEL)[0, 0, 0, 0]),
                      avgpool_float=float(F.avg_pool2d(x_float, KERNEL)[0, 0, 0, 0]), conv_int_error=conv_error)


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    x = torch.tensor(INPUT, dtype=torch.float32).reshape(-1, 1, 5, 5)  # (N=1, C=1, H=5, W=5)
    ceil_true = nn.MaxPool2d(kernel_size=KERNEL, ceil_mode=True)(x)  # (1, 1, 2, 2)
    ceil_false = nn.MaxPool2d(kernel_size=KERNEL, ceil_mode=False)(x)  # (1, 1, 1, 1)

    # The course's CIFAR part: one DataLoader batch of ToTensor images, pooled with the same layer.
    cifar = find_cifar10(data_dir)
    imgs, _ = next(iter(DataLoader(CifarDataset(cifar.test), batch_size=BATCH)))  # (64, 3, 32, 32) in [0, 1]
    pooled = nn.MaxPool2d(kernel_size=KERNEL, ceil_mode=True)(imgs)  # (64, 3, 11, 11): ⌈29/3⌉ + 1 = 11
    pooled_floor = nn.MaxPool2d(kernel_size=KERNEL, ceil_mode=False)(imgs)  # (64, 3, 10, 10): ⌊29/3⌋ + 1 = 10

    log_dir = writable_dir(out) / "tb"
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        writer.add_images("input", imgs, 0)  # a grid of 64 (3, 32, 32) images, 8 per row
        writer.add_images("maxpool", pooled, 0)  # the same grid at 11×11: blockier, still recognisable

    return Result(ceil_true=ceil_true[0, 0].tolist(), ceil_false=ceil_false[0, 0].tolist(),
                  hand_ceil_true=max_pool_by_hand(INPUT, KERNEL, ceil_mode=True),
                  hand_ceil_false=max_pool_by_hand(INPUT, KERNEL, ceil_mode=False),
                  dtype=dtype_check(), cifar_input=tuple(imgs.shape), cifar_output=tuple(pooled.shape),
                  cifar_output_floor=tuple(pooled_floor.shape), log_dir=log_dir, tags=["input", "maxpool"])


def describe(result: Result) -> str:
    d = result.dtype
    int_maxpool = (f"RuntimeError: {d.maxpool_int_error}" if d.maxpool_int_error
                   else f"works in torch {d.torch_version}: {d.maxpool_int}")
    return "\n".join([
        f"MaxPool2d(3, ceil_mode=True):  {result.ceil_true}   by hand: {result.hand_ceil_true}",
        f"MaxPool2d(3, ceil_mode=False): {result.ceil_false}   by hand: {result.hand_ceil_false}",
        f"CIFAR batch {result.cifar_input} → {result.cifar_output} (ceil_mode=True), "
        f"{result.cifar_output_floor} (ceil_mode=False)",
        f"TensorBoard: {', '.join(result.tags)} → tensorboard --logdir {result.log_dir}",
        "dtype: the course's first input is an int64 tensor",
        f"    MaxPool2d on int64: {int_maxpool}",
        f"    AvgPool2d on int64 rounds down: {d.avgpool_int:g} instead of {d.avgpool_float:.4f}",
        f"    a Conv2d after it: RuntimeError: {d.conv_int_error}",
        "    → build the input with dtype=torch.float32 (ToTensor images already are)",
    ])


def main(argv: list[str] | None = None) -> int:
    return lesson_main("maxpool", argv)


if __name__ == "__main__":
    raise SystemExit(main())
