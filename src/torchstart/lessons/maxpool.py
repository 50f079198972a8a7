"""Lesson 10 — max pooling, average pooling and ceil_mode (课程第十章：最大池化).

中文：先做课程讲解里的例子：4×4 的输入 1..16 用 2×2 窗口、步长 2 做最大池化，得到 [[6, 8], [14, 16]]；同一输入做
平均池化（`nn.AvgPool2d`）得到每个窗口的平均值 [[3.5, 5.5], [11.5, 13.5]]，全局平均池化得到 8.5。再用课程的 5×5
输入和 3×3 池化窗口调用 `nn.MaxPool2d`：`ceil_mode=True` 时不完整的窗口也保留，得到 [[2, 3], [5, 1]]；
`ceil_mode=False` 时只保留完整窗口，得到 [[2]]；平均池化在不完整窗口里只除以窗口内真有的元素个数。每个结果都用手写的
“窗口取最大值/平均值”函数核对。接着像课程一样把 64 张 CIFAR-10 图像做池化，形状从 (64, 3, 32, 32) 变成
(64, 3, 11, 11)，池化前后的图像都写进 TensorBoard。最后看数据类型的坑：课程一开始用的是整数张量。

English: first the course's worked example: the 4×4 input 1..16 max-pooled with a 2×2 window and stride 2 gives
[[6, 8], [14, 16]]; average pooling (`nn.AvgPool2d`) of the same input gives each window's mean, [[3.5, 5.5],
[11.5, 13.5]], and global average pooling gives 8.5. Then `nn.MaxPool2d` with a 3×3 window on the course's 5×5
input: with `ceil_mode=True` the partial windows at the edge count too and the result is [[2, 3], [5, 1]]; with
`ceil_mode=False` only the full window does and the result is [[2]]; average pooling divides a partial window by
the number of values really in it. A hand-written "max (or mean) over each window" checks every result. Then,
as in the course, 64 CIFAR-10 images are pooled from (64, 3, 32, 32) to (64, 3, 11, 11) and written to
TensorBoard before and after. Last, the dtype pitfall: the course first builds its input as integers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

from ..data import CifarDataset, find_cifar10
from ..files import writable_dir
from ..i18n import _
from ._shared import COURSE_INPUT
from .runner import lesson_main

INPUT = COURSE_INPUT  # the course's 5×5 grid (_shared.py), the same one the convolution lesson uses
GRID_4X4 = [[1, 2, 3, 4],  # the course's worked example of max pooling (chapter 十, 操作过程)
            [5, 6, 7, 8],
            [9, 10, 11, 12],
            [13, 14, 15, 16]]
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
class WorkedExample:
    maxpool: list[list[float]]  # MaxPool2d(2) of GRID_4X4: [[6, 8], [14, 16]]
    maxpool_by_hand: list[list[float]]
    avgpool: list[list[float]]  # AvgPool2d(2): the mean of each 2×2 window
    avgpool_by_hand: list[list[float]]
    global_avg: float  # AdaptiveAvgPool2d(1): the mean of all 16 values, 8.5


@dataclass
class Result:
    example: WorkedExample
    ceil_true: list[list[float]]  # 2×2: partial windows at the right and bottom edge are kept
    ceil_false: list[list[float]]  # 1×1: only the one full window
    hand_ceil_true: list[list[float]]
    hand_ceil_false: list[list[float]]
    avg_ceil_true: list[list[float]]  # AvgPool2d(3, ceil_mode=True) on the 5×5: partial windows divide by their size
    avg_ceil_true_by_hand: list[list[float]]
    dtype: DtypeCheck
    cifar_input: tuple[int, ...]  # (64, 3, 32, 32)
    cifar_output: tuple[int, ...]  # (64, 3, 11, 11) with ceil_mode=True
    cifar_output_floor: tuple[int, ...]  # (64, 3, 10, 10) with ceil_mode=False
    cifar_avg_output: tuple[int, ...]  # AvgPool2d(3, ceil_mode=True): (64, 3, 11, 11) too
    log_dir: Path
    tags: list[str]


def pooled_size(size: int, kernel: int, stride: int, ceil_mode: bool) -> int:
    """Number of windows along one side (no padding): (size − kernel) / stride rounded down or up, plus 1."""
    steps = (size - kernel) / stride
    count = (math.ceil(steps) if ceil_mode else math.floor(steps)) + 1
    if ceil_mode and (count - 1) * stride >= size:
        count -= 1  # a window must start inside the input; PyTorch drops one that would start past it
    return count


def pool_by_hand(grid: list[list[float]], kernel: int, stride: int | None, ceil_mode: bool,
                 reduce: Callable[[list[float]], float]) -> list[list[float]]:
    """`reduce` over each kernel×kernel window of a 2-D list; windows hanging over the edge use what is inside."""
    stride = stride or kernel
    height, width = len(grid), len(grid[0])
    rows, cols = pooled_size(height, kernel, stride, ceil_mode), pooled_size(width, kernel, stride, ceil_mode)
    return [[reduce([grid[r][c]
                     for r in range(i * stride, min(i * stride + kernel, height))
                     for c in range(j * stride, min(j * stride + kernel, width))])
             for j in range(cols)]
            for i in range(rows)]


def max_pool_by_hand(grid: list[list[float]], kernel: int, stride: int | None = None,
                     ceil_mode: bool = False) -> list[list[float]]:
    """The largest value of each window."""
    return pool_by_hand(grid, kernel, stride, ceil_mode, max)


def avg_pool_by_hand(grid: list[list[float]], kernel: int, stride: int | None = None,
                     ceil_mode: bool = False) -> list[list[float]]:
    """The mean of each window; a partial window (ceil_mode) is divided by the number of values inside it."""
    return pool_by_hand(grid, kernel, stride, ceil_mode, lambda values: sum(values) / len(values))


def worked_example() -> WorkedExample:
    grid = torch.tensor(GRID_4X4, dtype=torch.float32).reshape(1, 1, 4, 4)  # (N, C, H, W)
    return WorkedExample(maxpool=nn.MaxPool2d(2)(grid)[0, 0].tolist(),  # 2×2 windows, stride 2 by default
                         maxpool_by_hand=max_pool_by_hand(GRID_4X4, 2),
                         avgpool=nn.AvgPool2d(2)(grid)[0, 0].tolist(),
                         avgpool_by_hand=avg_pool_by_hand(GRID_4X4, 2),
                         global_avg=nn.AdaptiveAvgPool2d(1)(grid).item())  # one window: the whole map


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
    avg_ceil = nn.AvgPool2d(kernel_size=KERNEL, ceil_mode=True)(x)  # (1, 1, 2, 2)

    # The course's CIFAR part: one DataLoader batch of ToTensor images, pooled with the same layer.
    cifar = find_cifar10(data_dir)
    imgs, _targets = next(iter(DataLoader(CifarDataset(cifar.test), batch_size=BATCH)))  # (64, 3, 32, 32) in [0, 1]
    pooled = nn.MaxPool2d(kernel_size=KERNEL, ceil_mode=True)(imgs)  # (64, 3, 11, 11): ⌈29/3⌉ + 1 = 11
    pooled_floor = nn.MaxPool2d(kernel_size=KERNEL, ceil_mode=False)(imgs)  # (64, 3, 10, 10): ⌊29/3⌋ + 1 = 10
    averaged = nn.AvgPool2d(kernel_size=KERNEL, ceil_mode=True)(imgs)  # (64, 3, 11, 11)

    log_dir = writable_dir(out) / "tb"
    tags = ["input", "maxpool", "avgpool"]
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for tag, batch in zip(tags, (imgs, pooled, averaged)):
            # a grid of 64 images, 8 per row: 32×32 before, 11×11 after (blockier, or blurred by the mean)
            writer.add_images(tag, batch, 0)

    return Result(example=worked_example(), ceil_true=ceil_true[0, 0].tolist(), ceil_false=ceil_false[0, 0].tolist(),
                  hand_ceil_true=max_pool_by_hand(INPUT, KERNEL, ceil_mode=True),
                  hand_ceil_false=max_pool_by_hand(INPUT, KERNEL, ceil_mode=False),
                  avg_ceil_true=avg_ceil[0, 0].tolist(),
                  avg_ceil_true_by_hand=avg_pool_by_hand(INPUT, KERNEL, ceil_mode=True),
                  dtype=dtype_check(), cifar_input=tuple(imgs.shape), cifar_output=tuple(pooled.shape),
                  cifar_output_floor=tuple(pooled_floor.shape), cifar_avg_output=tuple(averaged.shape),
                  log_dir=log_dir, tags=tags)


def _matrix(rows: list[list[float]]) -> str:
    """[[6, 8], [14, 16]]: whole numbers without ".0", others to 4 decimals."""
    return "[" + ", ".join("[" + ", ".join(f"{round(v, 4):g}" for v in row) + "]" for row in rows) + "]"


def _same(a: list[list[float]], b: list[list[float]]) -> bool:
    return all(math.isclose(u, v, abs_tol=1e-6) for row_a, row_b in zip(a, b) for u, v in zip(row_a, row_b))


def example_lines(result: Result) -> list[str]:
    e = result.example
    return [
        _("the course's example: 4×4 input {grid}").format(grid=_matrix(GRID_4X4)),
        _("    MaxPool2d(2) (2×2 windows, stride 2): {out}   by hand: {by_hand}").format(
            out=_matrix(e.maxpool), by_hand=_matrix(e.maxpool_by_hand)),
        _("    AvgPool2d(2), the mean of each window: {out}   by hand: {by_hand}").format(
            out=_matrix(e.avgpool), by_hand=_matrix(e.avgpool_by_hand)),
        _("    AdaptiveAvgPool2d(1), global average pooling: {value:g} (the mean of all 16 values)").format(
            value=e.global_avg),
    ]


def dtype_lines(d: DtypeCheck) -> list[str]:
    int_maxpool = (_("RuntimeError: {error}").format(error=d.maxpool_int_error) if d.maxpool_int_error
                   else _("works in torch {version}: {result}").format(version=d.torch_version, result=d.maxpool_int))
    return [
        _("dtype: the course's first input is an int64 tensor"),
        _("    MaxPool2d on int64: {outcome}").format(outcome=int_maxpool),
        _("    AvgPool2d on int64 rounds down: {rounded:g} instead of {mean:.4f}").format(
            rounded=d.avgpool_int, mean=d.avgpool_float),
        _("    a Conv2d after it: RuntimeError: {error}").format(error=d.conv_int_error),
        _("    → build the input with dtype=torch.float32 (ToTensor images already are)"),
    ]


def describe(result: Result) -> str:
    r = result
    return "\n".join([
        *example_lines(r),
        _("the course's 5×5 input, 3×3 windows (stride 3):"),
        _("    MaxPool2d(3, ceil_mode=True):  {out}   by hand: {by_hand}").format(
            out=_matrix(r.ceil_true), by_hand=_matrix(r.hand_ceil_true)),
        _("    MaxPool2d(3, ceil_mode=False): {out}   by hand: {by_hand}").format(
            out=_matrix(r.ceil_false), by_hand=_matrix(r.hand_ceil_false)),
        _("    AvgPool2d(3, ceil_mode=True):  {out}   by hand: {same} (a partial window divides by the values in "
          "it)").format(out=_matrix(r.avg_ceil_true), same=_same(r.avg_ceil_true, r.avg_ceil_true_by_hand)),
        _("CIFAR batch {before} → {after} (ceil_mode=True), {floor} (ceil_mode=False); AvgPool2d: {avg}").format(
            before=r.cifar_input, after=r.cifar_output, floor=r.cifar_output_floor, avg=r.cifar_avg_output),
        _("TensorBoard: {tags} → tensorboard --logdir {log_dir}").format(tags=", ".join(r.tags), log_dir=r.log_dir),
        *dtype_lines(r.dtype),
    ])


def main(argv: list[str] | None = None) -> int:
    return lesson_main("maxpool", argv)


if __name__ == "__main__":
    raise SystemExit(main())
