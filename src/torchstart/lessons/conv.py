"""Lesson 9 — convolution by hand (课程第九章：卷积).

中文：用课程里的 5×5 输入和 3×3 卷积核调用 `F.conv2d`，看步长（stride）和填充（padding）如何改变输出，
再用输出尺寸公式 ⌊(H + 2·padding − kernel) / stride⌋ + 1 预测 `nn.Conv2d` 在 CIFAR-10 图像上的输出形状，
并与实际结果核对。

English: run `F.conv2d` on the course's 5×5 input with its 3×3 kernel, see how stride and padding change
the output, then predict the output shape of `nn.Conv2d` on CIFAR-10 images with the formula
⌊(H + 2·padding − kernel) / stride⌋ + 1 and check it against the real layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ._shared import COURSE_INPUT
from .runner import lesson_main

# The course's example: a 5×5 "image" and a 3×3 kernel, both plain integers so the sums can be done by hand.
INPUT = COURSE_INPUT  # [[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1], [2, 1, 0, 1, 1]]
KERNEL = [[1, 2, 1],
          [0, 1, 0],
          [2, 1, 0]]

# (kernel, stride, padding) of nn.Conv2d layers to check the formula on a CIFAR batch (64, 3, 32, 32)
CIFAR_LAYERS = [(5, 1, 2), (3, 1, 0), (3, 2, 1), (5, 2, 0), (7, 3, 3)]


@dataclass
class ShapeCheck:
    kernel: int
    stride: int
    padding: int
    formula: tuple[int, int, int, int]  # (N, C_out, H_out, W_out) predicted by the formula
    actual: tuple[int, int, int, int]  # what nn.Conv2d returned


@dataclass
class Result:
    stride1: list[list[float]]  # 3×3
    stride2: list[list[float]]  # 2×2
    padding1: list[list[float]]  # 5×5
    shape_checks: list[ShapeCheck]


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output height (or width) of a convolution: ⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    # conv2d wants (N, C, H, W) input and (C_out, C_in, kH, kW) weights, so add two leading 1-dims
    x = torch.tensor(INPUT, dtype=torch.float32).reshape(1, 1, 5, 5)
    k = torch.tensor(KERNEL, dtype=torch.float32).reshape(1, 1, 3, 3)
    stride1 = F.conv2d(x, k, stride=1)  # (1, 1, 3, 3): the kernel fits 3 times each way
    stride2 = F.conv2d(x, k, stride=2)  # (1, 1, 2, 2): every second position
    padding1 = F.conv2d(x, k, stride=1, padding=1)  # (1, 1, 5, 5): a ring of zeros keeps the size

    images = torch.zeros(64, 3, 32, 32)  # only shapes matter here
    checks = []
    for kernel, stride, padding in CIFAR_LAYERS:
        conv = nn.Conv2d(3, 32, kernel, stride=stride, padding=padding)
        side = output_size(32, kernel, stride, padding)
        checks.append(ShapeCheck(kernel, stride, padding, (64, 32, side, side), tuple(conv(images).shape)))
    return Result(stride1=stride1[0, 0].tolist(), stride2=stride2[0, 0].tolist(),
                  padding1=padding1[0, 0].tolist(), shape_checks=checks)


def _grid(rows: list[list[float]]) -> str:
    return "\n".join("    " + " ".join(f"{v:4.0f}" for v in row) for row in rows)


def describe(result: Result) -> str:
    lines = ["stride=1 (3×3):", _grid(result.stride1), "stride=2 (2×2):", _grid(result.stride2),
             "padding=1 (5×5):", _grid(result.padding1), "output-size formula vs nn.Conv2d on (64, 3, 32, 32):"]
    for c in result.shape_checks:
        mark = "ok" if c.formula == c.actual else "MISMATCH"
        lines.append(f"    kernel {c.kernel} stride {c.stride} padding {c.padding}: formula {c.formula} "
                     f"actual {c.actual} {mark}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("conv", argv)


if __name__ == "__main__":
    raise SystemExit(main())
