"""Exercise 9 (conv): `conv_output_size` against nn.Conv2d, `conv2d_by_hand` against F.conv2d and the course."""

from __future__ import annotations

from types import ModuleType

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from torchstart.course.kit import CONVOLUTIONS as FORBIDDEN
from torchstart.course.kit import COURSE_INPUT as INPUT
from torchstart.course.kit import COURSE_KERNEL as KERNEL
from torchstart.course.kit import Check, Mistake, Wrong, by_hand, close, generated, same_shape, tensor_of, values
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


@st.composite
def _sizes(draw) -> tuple[int, int, int, int]:
    """(size, kernel, stride, padding) that nn.Conv2d accepts: the kernel fits in the padded size."""
    padding, stride = draw(st.integers(0, 3)), draw(st.integers(1, 4))
    size = draw(st.integers(1, 40))
    return size, draw(st.integers(1, size + 2 * padding)), stride, padding


def _one_size(ex: ModuleType, size: int, kernel: int, stride: int, padding: int) -> None:
    got = ex.conv_output_size(size, kernel, stride, padding)
    if got != _torch_size(size, kernel, stride, padding) or not isinstance(got, int):
        raise Wrong(_formula_hint(size, kernel, stride, padding, got))


def check_formula(ex: ModuleType) -> None:
    for case in SIZE_CASES:
        _one_size(ex, *case)
    generated(_sizes(), lambda *case: _one_size(ex, *case), examples=40)


def _shape_advice(got: torch.Tensor, image: torch.Tensor, kernel: torch.Tensor, stride: int, padding: int) -> str:
    """Why the output has the wrong shape: no padding, no stride, or the formula itself."""
    sides = list(zip(image.shape, kernel.shape))
    without_padding = tuple((n - k) // stride + 1 for n, k in sides)
    padded = tuple((n + 2 * padding - k) // stride + 1 for n, k in sides)
    without_stride = tuple(n + 2 * padding - k + 1 for n, k in sides)
    if padding and tuple(got.shape) == (without_padding[0], padded[1]):
        return _("only the width was padded: F.pad(image, (p, p)) pads the last dimension alone — pad the height "
                 "too, F.pad(image, (p, p, p, p))")
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


@st.composite
def _convolutions(draw) -> tuple[torch.Tensor, torch.Tensor, int, int]:
    """A small image of integers, a kernel that fits it once padded, a stride and a padding."""
    padding, stride = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    height, width = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, min(4, height + 2 * padding))), draw(st.integers(1, min(4, width + 2 * padding)))

    def grid(rows: int, cols: int) -> torch.Tensor:
        numbers = draw(st.lists(st.integers(-3, 3), min_size=rows * cols, max_size=rows * cols))
        return torch.tensor(numbers, dtype=torch.float32).reshape(rows, cols)

    return grid(height, width), grid(kh, kw), stride, padding


def _generated_case(ex: ModuleType, image: torch.Tensor, kernel: torch.Tensor, stride: int, padding: int) -> None:
    try:
        _compare(ex, image, kernel, stride, padding)
    except Wrong as err:  # the smallest input that fails, so the learner can redo it by hand
        raise Wrong(_("{hint} (image {image}, kernel {kernel})").format(
            hint=err, image=values(image), kernel=values(kernel))) from None


def check_generated(ex: ModuleType) -> None:
    generated(_convolutions(), lambda *case: _generated_case(ex, *case), examples=40)


def _probe(ex: ModuleType) -> None:
    ex.conv2d_by_hand(torch.ones(3, 3), torch.ones(2, 2))


CHECKS = (
    Check(N_("conv_output_size agrees with nn.Conv2d (9 settings and 40 generated ones)"), check_formula,
          ("conv_output_size",)),
    Check(N_("conv2d_by_hand, stride 1: the course's 3×3 result"), _course_case(1, 0), ("conv2d_by_hand",)),
    Check(N_("conv2d_by_hand, stride 2: the course's 2×2 result"), _course_case(2, 0), ("conv2d_by_hand",)),
    Check(N_("conv2d_by_hand, padding 1: the course's 5×5 result"), _course_case(1, 1), ("conv2d_by_hand",)),
    Check(N_("conv2d_by_hand equals F.conv2d on 40 generated images, kernels (not only square), strides and "
             "paddings"), check_generated, ("conv2d_by_hand",)),
    Check(N_("conv2d_by_hand is written by hand: no F.conv2d, nn.Conv2d or unfold"),
          by_hand(FORBIDDEN, N_("the convolution"), _probe), ("conv2d_by_hand",)),
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
    Mistake(N_("only the width padded, F.pad(image, (p, p))"), "(padding, padding, padding, padding)",
            "(padding, padding)", "only the width was padded"),
    Mistake(N_("a square kernel assumed: its height used as its width"), "kh, kw = kernel.shape",
            "kh = kw = kernel.shape[0]", "kernel's own height and width"),
    Mistake(N_("F.conv2d called instead of the loops"), "    return out\n",
            "    return F.conv2d(image[None, None], kernel[None, None], stride=stride)[0, 0]\n", "by hand"),
)
