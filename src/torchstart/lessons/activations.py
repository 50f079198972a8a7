"""Lesson 11 — non-linear activations (课程第十一章：非线性激活).

中文：在课程的 2×2 输入 [[1, -0.5], [-1, 3]] 上分别用 ReLU、Sigmoid、Softmax：ReLU 把负数变成 0，
Sigmoid 把任何数压到 0 和 1 之间，Softmax 让每一行变成加起来等于 1 的概率。再看 `inplace=True` 的两个坑：
它会改掉输入本身，还可能弄坏反向传播需要的中间结果。最后把几张 CIFAR-10 图片分别过一遍 ReLU 和 Sigmoid，
写进 TensorBoard 看效果：像素本来就不为负，ReLU 什么也没变；Sigmoid 让图片变得灰蒙蒙。

English: apply ReLU, Sigmoid and Softmax to the course's 2×2 input [[1, -0.5], [-1, 3]]: ReLU turns negatives
into 0, Sigmoid squeezes any number into (0, 1), and Softmax turns each row into probabilities that add up
to 1. Then two traps of `inplace=True`: it overwrites the input itself, and it can destroy an intermediate
result that backward needs. Last, a few CIFAR-10 images go through ReLU and Sigmoid into TensorBoard: pixels
are never negative, so ReLU changes nothing, while Sigmoid turns the pictures a flat grey.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from ..data import find_cifar10
from ..files import writable_dir
from ..i18n import _
from .runner import lesson_main

INPUT = [[1.0, -0.5],
         [-1.0, 3.0]]
NUM_IMAGES = 8  # CIFAR-10 test images sent through the activations and into TensorBoard
IMAGE_TAGS = ("input", "relu", "sigmoid")


@dataclass
class ImageCheck:
    log_dir: Path
    tags: tuple[str, ...]  # add_images tags, one grid of NUM_IMAGES each
    count: int
    relu_changed: int  # pixels ReLU altered: 0, since ToTensor pixels lie in [0, 1]
    sigmoid_range: tuple[float, float]  # (min, max) after Sigmoid: inside [σ(0), σ(1)] = [0.5, 0.7311]
    command: str


@dataclass
class Result:
    input: list[list[float]]
    relu: list[list[float]]
    sigmoid: list[list[float]]
    softmax: list[list[float]]  # nn.Softmax(dim=1): across each row
    softmax_row_sums: list[float]
    softmax_dim0_row_sums: list[float]  # nn.Softmax(dim=0) normalises columns instead: rows no longer sum to 1
    inplace_input_after: list[list[float]]  # the input after nn.ReLU(inplace=True)(input): overwritten
    copy_input_after: list[list[float]]  # the input after nn.ReLU()(input): untouched
    inplace_backward_error: str  # backward after an in-place ReLU on a Sigmoid's output
    images: ImageCheck


def inplace_backward_error() -> str:
    """Sigmoid's backward reuses its output σ(x) (dσ/dx = σ(x)·(1 − σ(x))); an in-place ReLU overwrites it."""
    x = torch.tensor(INPUT, requires_grad=True)
    y = torch.sigmoid(x)
    nn.ReLU(inplace=True)(y)  # changes y itself and bumps its version counter
    try:
        y.sum().backward()
    except RuntimeError as err:
        return str(err).split(":")[0]  # the first clause; the rest names tensor versions and a hint
    return ""


def images_through_activations(out: Path, data_dir: Path | None) -> ImageCheck:
    split = find_cifar10(data_dir).test.subset(NUM_IMAGES, seed=0)  # the files are sorted by class: mix them
    images = split.images.permute(0, 3, 1, 2).float() / 255  # uint8 (8, 32, 32, 3) → (8, 3, 32, 32) in [0, 1]
    relu = nn.ReLU()(images)
    sigmoid = nn.Sigmoid()(images)
    log_dir = writable_dir(out) / "tb"
    writer = SummaryWriter(log_dir=str(log_dir))
    for tag, batch in zip(IMAGE_TAGS, (images, relu, sigmoid)):
        writer.add_images(tag, batch, 0)  # (N, 3, H, W) floats in [0, 1], shown as one grid
    writer.close()
    return ImageCheck(log_dir=log_dir, tags=IMAGE_TAGS, count=len(images),
                      relu_changed=int((relu != images).sum()),
                      sigmoid_range=(sigmoid.min().item(), sigmoid.max().item()),
                      command=f"tensorboard --logdir {log_dir}")


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    x = torch.tensor(INPUT)  # (2, 2); nn activations work element-wise on any shape
    softmax = nn.Softmax(dim=1)(x)  # dim=1: one row = one sample's scores over the classes

    inplace_input = x.clone()
    nn.ReLU(inplace=True)(inplace_input)
    copy_input = x.clone()
    nn.ReLU()(copy_input)

    return Result(
        input=x.tolist(),
        relu=nn.ReLU()(x).tolist(),
        sigmoid=nn.Sigmoid()(x).tolist(),
        softmax=softmax.tolist(),
        softmax_row_sums=softmax.sum(dim=1).tolist(),
        softmax_dim0_row_sums=nn.Softmax(dim=0)(x).sum(dim=1).tolist(),
        inplace_input_after=inplace_input.tolist(),
        copy_input_after=copy_input.tolist(),
        inplace_backward_error=inplace_backward_error(),
        images=images_through_activations(out, data_dir),
    )


def _grid(rows: list[list[float]]) -> str:
    return " / ".join(" ".join(f"{v:7.4f}" for v in row) for row in rows)


def _sums(values: list[float]) -> str:
    return ", ".join(f"{v:.4f}" for v in values)


def describe(result: Result) -> str:
    r, im = result, result.images
    return "\n".join([
        _("input             {grid}").format(grid=_grid(r.input)),
        _("ReLU              {grid}").format(grid=_grid(r.relu)),
        _("Sigmoid           {grid}").format(grid=_grid(r.sigmoid)),
        _("Softmax(dim=1)    {grid}   row sums {sums}").format(grid=_grid(r.softmax), sums=_sums(r.softmax_row_sums)),
        _("Softmax(dim=0) normalises columns: row sums {sums}").format(sums=_sums(r.softmax_dim0_row_sums)),
        _("after ReLU(inplace=True) the input is {grid} (overwritten)").format(grid=_grid(r.inplace_input_after)),
        _("after ReLU()             the input is {grid} (kept)").format(grid=_grid(r.copy_input_after)),
        _("in-place ReLU on a Sigmoid output, then backward: RuntimeError: {error}").format(
            error=r.inplace_backward_error),
        _("{count} CIFAR-10 images → TensorBoard tags {tags}: ReLU changed {changed} pixels, Sigmoid range "
          "{low:.4f}–{high:.4f} (washed out)").format(count=im.count, tags=", ".join(im.tags), changed=im.relu_changed,
                                                      low=im.sigmoid_range[0], high=im.sigmoid_range[1]),
        _("look at them: {command}").format(command=im.command),
    ])


def main(argv: list[str] | None = None) -> int:
    return lesson_main("activations", argv)


if __name__ == "__main__":
    raise SystemExit(main())
