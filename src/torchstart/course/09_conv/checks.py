"""Exercise 9 (conv): `conv_output_size` against nn.Conv2d, `conv2d_by_hand` against F.conv2d and the course."""

from __future__ import annotations

from types import ModuleType

import torch
import torch.nn.functional as F
from torch import nn

from torchstart.course.kit import COURSE_INPUT as INPUT
from torchstart.course.kit import COURSE_KERNEL as KERNEL
from torchstart.course.kit import Check, Mistake, Wrong, close, same_shape, tensor_of, values
from torchstart.i18n import N_, _

# (size, kernel, stride, padding): the course's 5×5 cases, layers on a 32×32 CIFAR image, and an odd one
SIZE_CASES = [(5, 3, 1, 0), (5, 3, 2, 0), (5, 3, 1, 1), (32, 5, 1, 2), (32, 3, 1, 0), (32, 3, 2, 1), (32, 5, 2, 0),
              (32, 7, 3, 3), (10, 4, 3, 2)]


def _torch_size(size: int, kernel: int, stride: int, padding: int) -> int:
    conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
    return conv(torch.zeros(1, 1, size, size)).shape[-1]


def _formula_hint(size: int, kernel: int, stride: int, padding: int, got: object) -> str:
    case = f"conv_output_size({size}, {kernel}, stride={stride}, padding={padding})"
    want = _torch_size(size, kernel, stride, padding)
    if not isinstance(got, int):
        return _("{case} returned {got!r}, not an int: use // (floor division), not /").format(case=case, got=got)
    if got == (size + padding - kernel) // stride + 1:
        return _("{case} gave {got}, nn.Conv2d gives {want}: is the padding added on both sides "
                 "(2 · padding)?").format(case=case, got=got, want=want)
    if got == want - 1:
        return _("{case} gave {got}, nn.Conv2d gives {want}: is the + 1 there (the first position)?").format(
            case=case, got=got, want=want)
    return _("{case} gave {got}, nn.Conv2d gives {want}: the formula is ⌊(size + 2·padding − kernel) / stride⌋ "
             "+ 1").format(case=case, got=got, want=want)


def check_formula(ex: ModuleType) -> None:
    for size, kernel, stride, padding in SIZE_CASES:
        got = ex.conv_output_size(size, kernel, stride, padding)
        if got != _torch_size(size, kernel, stride, padding) or not isinstance(got, int):
            raise Wrong(_formula_hint(size, kernel, stride, padding, got))


def _shape_advice(got: torch.Tensor, image: torch.Tensor, kernel: torch.Tensor, stride: int, padding: int) -> str:
    """Why the output has the wrong shape: no padding, no stride, or the formula itself."""
    sides = list(zip(image.shape, kernel.shape))
    without_padding = tuple((n - k) // stride + 1 for n, k in sides)
    without_stride = tuple(n + 2 * padding - k + 1 for n, k in sides)
    if padding and tuple(got.shape) == without_padding:
        return _("pad the image with a border of zeros first, padding wide on every side")
    if stride > 1 and tuple(got.shape) == without_stride:
        return _("does the output size divide by the stride?")
    return _("each side is ⌊(size + 2·padding − kernel) / stride⌋ + 1, with the kernel's own height and width")


def _compare(ex: ModuleType, image: torch.Tensor, kernel: torch.Tensor, stride: int, padding: int) -> None:
    want = F.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]
    got = tensor_of(ex.conv2d_by_hand(image.clone(), kernel.clone(), stride=stride, padding=padding),
                    "conv2d_by_hand")
    case = f"stride={stride}, padding={padding}"
    same_shape(got, want, _("with {case} your output").format(case=case),
               _shape_advice(got, image, kernel, stride, padding))
    if close(got, want, atol=1e-4):
        return
    if want.numel() > 25:
        raise Wrong(_("with {case} your values differ from F.conv2d by up to {diff:.3g}: each value is "
                      "(window * kernel).sum()").format(case=case, diff=float((got - want).abs().max())))
    if stride > 1:
        advice = _("does window (i, j) start at (i·stride, j·stride)?")
    elif padding:
        advice = _("the border must be zeros")
    else:
        advice = _("each value is the sum of window × kernel, element by element")
    raise Wrong(_("with {case} your output is {got}, expected {want}: {advice}").format(
        case=case, got=values(got), want=values(want), advice=advice))


def _course_case(stride: int, padding: int):
    def check(ex: ModuleType) -> None:
        _compare(ex, torch.tensor(INPUT, dtype=torch.float32), torch.tensor(KERNEL, dtype=torch.float32),
                 stride, padding)
    return check


def check_random(ex: ModuleType) -> None:
    generator = torch.Generator().manual_seed(9)
    _compare(ex, torch.randn(7, 6, generator=generator), torch.randn(3, 2, generator=generator), 2, 1)


CHECKS = (
    Check(N_("conv_output_size agrees with nn.Conv2d (9 settings)"), check_formula, ("conv_output_size",)),
    Check(N_("conv2d_by_hand, stride 1: the course's 3×3 result"), _course_case(1, 0), ("conv2d_by_hand",)),
    Check(N_("conv2d_by_hand, stride 2: the course's 2×2 result"), _course_case(2, 0), ("conv2d_by_hand",)),
    Check(N_("conv2d_by_hand, padding 1: the course's 5×5 result"), _course_case(1, 1), ("conv2d_by_hand",)),
    Check(N_("conv2d_by_hand equals F.conv2d on a random 7×6 image, 3×2 kernel, stride 2, padding 1"),
          check_random, ("conv2d_by_hand",)),
)

MISTAKES = (
    Mistake(N_("the padding added once instead of on both sides"), "size + 2 * padding", "size + padding",
            "both sides"),
    Mistake(N_("the output size not divided by the stride"),
            "out_h = (image.shape[0] - kh) // stride + 1\n    out_w = (image.shape[1] - kw) // stride + 1",
            "out_h = image.shape[0] - kh + 1\n    out_w = image.shape[1] - kw + 1", "divide by the stride"),
    Mistake(N_("windows that do not move by the stride"), "i * stride:i * stride + kh", "i:i + kh",
            "(i·stride, j·stride)"),
    Mistake(N_("no zero border for padding"), "    if padding:\n", "    if False:\n", "border of zeros"),
)
