"""Lesson 9 — convolution by hand (课程第九章：卷积).

中文：用课程里的 5×5 输入和 3×3 卷积核调用 `F.conv2d`，看步长（stride）和填充（padding）如何改变输出，
再用输出尺寸公式 ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1 预测 `nn.Conv2d` 在 CIFAR-10 图像上的
输出形状。然后逐个看 `Conv2d` 其余的参数：bias（偏置）、padding_mode（zeros/reflect/replicate/circular 各怎样填边）、
dilation（空洞卷积：卷积核的有效大小 dilation·(k − 1) + 1）、groups（分组卷积：参数量怎么变少），最后是转置卷积
`F.conv_transpose2d`：输出尺寸 (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1。每个结果都和手算或
公式核对。

English: run `F.conv2d` on the course's 5×5 input with its 3×3 kernel, see how stride and padding change the
output, then predict the output shape of `nn.Conv2d` on CIFAR-10 images with the formula
⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1. Then the rest of `Conv2d`'s arguments one by one: bias,
padding_mode (how zeros, reflect, replicate and circular fill the border), dilation (the kernel's effective size
dilation·(k − 1) + 1), groups (how they cut the parameter count), and last the transposed convolution
`F.conv_transpose2d`, whose output size is (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.
Each result is checked by hand or against the formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..i18n import _
from ._shared import COURSE_INPUT
from .runner import lesson_main

# The course's example: a 5×5 "image" and a 3×3 kernel, both plain integers so the sums can be done by hand.
INPUT = COURSE_INPUT  # [[1, 2, 0, 3, 1], [0, 1, 2, 3, 1], [1, 2, 1, 0, 0], [5, 2, 3, 1, 1], [2, 1, 0, 1, 1]]
KERNEL = [[1, 2, 1],
          [0, 1, 0],
          [2, 1, 0]]

# (kernel, stride, padding, dilation) of nn.Conv2d layers to check the formula on a CIFAR batch (64, 3, 32, 32)
CIFAR_LAYERS = [(5, 1, 2, 1), (3, 1, 0, 1), (3, 2, 1, 1), (5, 2, 0, 1), (7, 3, 3, 1), (3, 1, 0, 2), (3, 1, 2, 2)]
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")  # Conv2d's names; F.pad calls zeros "constant"
# (in_channels, out_channels, groups, bias) for the parameter counts of a 3×3 Conv2d
GROUPS = [(3, 6, 1, True), (3, 6, 3, True), (3, 3, 3, True), (3, 3, 3, False)]
# (size, kernel, stride, padding, output_padding, dilation) of ConvTranspose2d on a (64, 32, 8, 8) feature map
TRANSPOSED = [(8, 2, 2, 0, 0, 1), (8, 3, 2, 1, 1, 1), (8, 4, 2, 1, 0, 1), (8, 3, 1, 1, 0, 1), (8, 3, 2, 1, 0, 2)]


@dataclass
class ShapeCheck:
    kernel: int
    stride: int
    padding: int
    formula: tuple[int, int, int, int]  # (N, C_out, H_out, W_out) predicted by the formula
    actual: tuple[int, int, int, int]  # what nn.Conv2d returned
    dilation: int = 1


@dataclass
class PaddingCheck:
    mode: str  # Conv2d's padding_mode
    padded: list[list[float]]  # 7×7: the input with the 1-pixel border this mode adds
    output: list[list[float]]  # Conv2d(padding=1, padding_mode=mode) with the course's kernel: 5×5
    equals_pad_then_conv: bool  # == F.conv2d(F.pad(x, 1, mode), kernel): the mode only changes the border


@dataclass
class GroupsCheck:
    in_channels: int
    out_channels: int
    groups: int
    bias: bool
    parameters: int  # counted by torch
    formula: int  # out · (in / groups) · 3 · 3, plus out when there is a bias


@dataclass
class TransposedCheck:
    size: int
    kernel: int
    stride: int
    padding: int
    output_padding: int
    dilation: int
    formula: int  # (size − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1
    actual: int  # the side of nn.ConvTranspose2d's output


@dataclass
class Result:
    stride1: list[list[float]]  # 3×3
    stride2: list[list[float]]  # 2×2
    padding1: list[list[float]]  # 5×5
    shape_checks: list[ShapeCheck]
    with_bias: list[list[float]]  # stride 1 with bias 1: every output + 1
    parameters_with_bias: int  # Conv2d(1, 1, 3): 9 weights + 1 bias
    parameters_without_bias: int  # Conv2d(1, 1, 3, bias=False): 9
    padding_modes: list[PaddingCheck]
    effective_kernel: int  # dilation 2 spreads the 3×3 kernel over 5×5: 2·(3 − 1) + 1
    dilated: list[list[float]]  # dilation=2: only one 5×5 window fits, so 1×1
    dilated_by_hand: list[list[float]]  # the same with the kernel spread out by hand (zeros in between)
    dilated_padding2: list[list[float]]  # dilation=2, padding=2: 5×5 again
    groups: list[GroupsCheck]
    groups_split_max_diff: float  # groups=3 vs three separate 1-channel convolutions, concatenated
    transposed: list[list[float]]  # F.conv_transpose2d(stride2, kernel, stride=2): 2×2 → 5×5
    transposed_by_hand: list[list[float]]  # each input value times the kernel, added in at stride 2
    transposed_checks: list[TransposedCheck]


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output height (or width) of a convolution: ⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def transposed_size(size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0,
                    dilation: int = 1) -> int:
    """Output side of a transposed convolution.

    (size − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1: the input size a convolution with
    the same settings would turn into `size` (output_padding picks one when several would).
    """
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def spread_kernel(kernel: list[list[float]], dilation: int) -> list[list[float]]:
    """The kernel a dilated convolution really uses: dilation − 1 zeros between neighbouring weights."""
    side = dilation * (len(kernel) - 1) + 1
    spread = [[0.0] * side for _row in range(side)]
    for i, row in enumerate(kernel):
        for j, value in enumerate(row):
            spread[i * dilation][j * dilation] = value
    return spread


def conv_transpose_by_hand(grid: list[list[float]], kernel: list[list[float]], stride: int) -> list[list[float]]:
    """Transposed convolution without padding: every input value stamps value·kernel at (i·stride, j·stride)."""
    k, side = len(kernel), transposed_size(len(grid), len(kernel), stride)
    out = [[0.0] * side for _row in range(side)]
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            for a in range(k):
                for b in range(k):
                    out[i * stride + a][j * stride + b] += value * kernel[a][b]
    return out


def padding_check(x: torch.Tensor, k: torch.Tensor, mode: str) -> PaddingCheck:
    conv = nn.Conv2d(1, 1, 3, padding=1, padding_mode=mode, bias=False)
    with torch.no_grad():
        conv.weight.copy_(k)
        output = conv(x)  # (1, 1, 5, 5)
    padded = F.pad(x, (1, 1, 1, 1), mode="constant" if mode == "zeros" else mode)  # (1, 1, 7, 7)
    return PaddingCheck(mode, padded[0, 0].tolist(), output[0, 0].tolist(),
                        torch.equal(output, F.conv2d(padded, k)))


def groups_checks() -> tuple[list[GroupsCheck], float]:
    checks = [GroupsCheck(c_in, c_out, g, bias, sum(p.numel() for p in nn.Conv2d(c_in, c_out, 3, groups=g,
                                                                                 bias=bias).parameters()),
                          c_out * (c_in // g) * 3 * 3 + (c_out if bias else 0))
              for c_in, c_out, g, bias in GROUPS]
    # groups=3: each input channel has its own 2 filters, so the layer is 3 convolutions side by side
    torch.manual_seed(0)
    images = torch.rand(4, 3, 32, 32)
    grouped = nn.Conv2d(3, 6, 3, groups=3)
    with torch.no_grad():
        pieces = [F.conv2d(images[:, c:c + 1], grouped.weight[2 * c:2 * c + 2], grouped.bias[2 * c:2 * c + 2])
                  for c in range(3)]
        diff = (grouped(images) - torch.cat(pieces, dim=1)).abs().max().item()
    return checks, diff


def transposed_checks() -> list[TransposedCheck]:
    checks = []
    for size, kernel, stride, padding, output_padding, dilation in TRANSPOSED:
        layer = nn.ConvTranspose2d(32, 16, kernel, stride, padding, output_padding, dilation=dilation)
        actual = layer(torch.zeros(64, 32, size, size)).shape[-1]
        checks.append(TransposedCheck(size, kernel, stride, padding, output_padding, dilation,
                                      transposed_size(size, kernel, stride, padding, output_padding, dilation), actual))
    return checks


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    # conv2d wants (N, C, H, W) input and (C_out, C_in, kH, kW) weights, so add two leading 1-dims
    x = torch.tensor(INPUT, dtype=torch.float32).reshape(1, 1, 5, 5)
    k = torch.tensor(KERNEL, dtype=torch.float32).reshape(1, 1, 3, 3)
    stride1 = F.conv2d(x, k, stride=1)  # (1, 1, 3, 3): the kernel fits 3 times each way
    stride2 = F.conv2d(x, k, stride=2)  # (1, 1, 2, 2): every second position
    padding1 = F.conv2d(x, k, stride=1, padding=1)  # (1, 1, 5, 5): a ring of zeros keeps the size

    images = torch.zeros(64, 3, 32, 32)  # only shapes matter here
    checks = []
    for kernel, stride, padding, dilation in CIFAR_LAYERS:
        conv = nn.Conv2d(3, 32, kernel, stride=stride, padding=padding, dilation=dilation)
        side = output_size(32, kernel, stride, padding, dilation)
        checks.append(ShapeCheck(kernel, stride, padding, (64, 32, side, side), tuple(conv(images).shape), dilation))

    spread = torch.tensor(spread_kernel(KERNEL, 2)).reshape(1, 1, 5, 5)
    groups, groups_diff = groups_checks()
    return Result(
        stride1=stride1[0, 0].tolist(), stride2=stride2[0, 0].tolist(), padding1=padding1[0, 0].tolist(),
        shape_checks=checks,
        with_bias=F.conv2d(x, k, bias=torch.tensor([1.0]))[0, 0].tolist(),  # bias: one number per output channel
        parameters_with_bias=sum(p.numel() for p in nn.Conv2d(1, 1, 3).parameters()),
        parameters_without_bias=sum(p.numel() for p in nn.Conv2d(1, 1, 3, bias=False).parameters()),
        padding_modes=[padding_check(x, k, mode) for mode in PADDING_MODES],
        effective_kernel=2 * (3 - 1) + 1,
        dilated=F.conv2d(x, k, dilation=2)[0, 0].tolist(),  # (1, 1, 1, 1): one 5×5 window in a 5×5 input
        dilated_by_hand=F.conv2d(x, spread)[0, 0].tolist(),
        dilated_padding2=F.conv2d(x, k, dilation=2, padding=2)[0, 0].tolist(),
        groups=groups, groups_split_max_diff=groups_diff,
        transposed=F.conv_transpose2d(stride2, k, stride=2)[0, 0].tolist(),  # (1, 1, 5, 5)
        transposed_by_hand=conv_transpose_by_hand(stride2[0, 0].tolist(), KERNEL, 2),
        transposed_checks=transposed_checks(),
    )


def _grid(rows: list[list[float]]) -> str:
    return "\n".join("    " + " ".join(f"{v:4.0f}" for v in row) for row in rows)


def _ok(same: bool) -> str:
    return "✓" if same else "✗"


def shape_lines(result: Result) -> list[str]:
    lines = [_("output-size formula vs nn.Conv2d on (64, 3, 32, 32):")]
    lines += [_("    kernel {kernel} stride {stride} padding {padding} dilation {dilation}: formula {formula} "
                "actual {actual} {mark}").format(kernel=c.kernel, stride=c.stride, padding=c.padding,
                                                dilation=c.dilation, formula=c.formula, actual=c.actual,
                                                mark=_ok(c.formula == c.actual))
              for c in result.shape_checks]
    return lines


def padding_lines(result: Result) -> list[str]:
    modes = result.padding_modes
    lines = [_("padding=1 with each padding_mode: the 7×7 grid the kernel slides over")]
    lines.append("    " + "".join(f"{m.mode:<23}" for m in modes).rstrip())
    for i in range(7):
        lines.append("    " + "  ".join(" ".join(f"{v:2.0f}" for v in m.padded[i]) for m in modes))
    lines += [_("    Conv2d(padding_mode={mode!r}): first row {row}, = F.conv2d of the padded grid: {same}").format(
        mode=m.mode, row=" ".join(f"{v:.0f}" for v in m.output[0]), same=m.equals_pad_then_conv) for m in modes]
    return lines


def later_lines(result: Result) -> list[str]:
    """bias, dilation, groups and the transposed convolution."""
    r = result
    lines = [_("bias=tensor([1.]) adds 1 to every output (stride 1):"), _grid(r.with_bias),
             _("    parameters: Conv2d(1, 1, 3) {with_bias}, Conv2d(1, 1, 3, bias=False) {without}").format(
                 with_bias=r.parameters_with_bias, without=r.parameters_without_bias),
             _("dilation=2: the 3×3 kernel covers {k}×{k} (dilation·(k − 1) + 1), so one window fits: {value} "
               "(kernel spread out by hand: {by_hand})").format(k=r.effective_kernel, value=f"{r.dilated[0][0]:g}",
                                                              by_hand=f"{r.dilated_by_hand[0][0]:g}"),
             _("dilation=2, padding=2 (5×5):"), _grid(r.dilated_padding2),
             _("groups: parameters of a 3×3 Conv2d, counted by torch vs out·(in/groups)·3·3 (+ out for the bias);"
               " groups = in = out is a depthwise convolution")]
    lines += [_("    in {c_in} out {c_out} groups {groups} bias {bias}: {count} (formula {formula}) {mark}").format(
        c_in=g.in_channels, c_out=g.out_channels, groups=g.groups, bias=g.bias, count=g.parameters,
        formula=g.formula, mark=_ok(g.parameters == g.formula)) for g in r.groups]
    lines += [_("    groups=3 equals three 1-channel convolutions side by side (within 1e-6): {same}").format(
                  same=r.groups_split_max_diff < 1e-6),
              _("conv_transpose2d of the stride=2 output: 2×2 → 5×5, the input's shape comes back but not its "
                "values; by hand: {same}").format(
                  same=r.transposed == r.transposed_by_hand), _grid(r.transposed),
              _("transposed output size (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1 vs "
                "nn.ConvTranspose2d:")]
    lines += [_("    H {size} kernel {kernel} stride {stride} padding {padding} output_padding {output_padding} "
                "dilation {dilation}: formula {formula} actual {actual} {mark}").format(
        size=t.size, kernel=t.kernel, stride=t.stride, padding=t.padding, output_padding=t.output_padding,
        dilation=t.dilation, formula=t.formula, actual=t.actual, mark=_ok(t.formula == t.actual))
        for t in r.transposed_checks]
    return lines


def describe(result: Result) -> str:
    lines = [_("stride=1 (3×3):"), _grid(result.stride1), _("stride=2 (2×2):"), _grid(result.stride2),
             _("padding=1 (5×5):"), _grid(result.padding1), *shape_lines(result), *padding_lines(result),
             *later_lines(result)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("conv", argv)


if __name__ == "__main__":
    raise SystemExit(main())
