"""Exercise 9b (conv): conv2d_channels against F.conv2d — the course's 5×5 input as three channels, then inputs
Hypothesis draws (channels in and out, kernels not only square, a bias) — and no torch convolution in the file."""

from __future__ import annotations

from types import ModuleType

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from torchstart.course.kit import CONVOLUTIONS as FORBIDDEN
from torchstart.course.kit import COURSE_INPUT as INPUT
from torchstart.course.kit import COURSE_KERNEL as KERNEL
from torchstart.course.kit import Check, Mistake, Wrong, by_hand, close, generated, same_shape, tensor_of, values
from torchstart.i18n import N_, _


def _course() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The course's input as three channels (itself, transposed, mirrored); two kernel stacks built from the
    course's kernel and ones; biases 1 and −2. Three channels in, two out: their numbers differ on purpose."""
    image, kernel = torch.tensor(INPUT, dtype=torch.float32), torch.tensor(KERNEL, dtype=torch.float32)
    ones = torch.ones(3, 3)
    weight = torch.stack([torch.stack([kernel, ones, -kernel]), torch.stack([kernel, kernel, ones])])
    return torch.stack([image, image.T, image.flip(1)]), weight, torch.tensor([1.0, -2.0])


def _advice(got: torch.Tensor, image: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> str:
    """Which mistake gives `got`: the first channel alone, no bias, or the bias once per input channel."""
    plain = F.conv2d(image[None], weight)[0]
    per_channel = bias.reshape(-1, 1, 1)
    if close(got, F.conv2d(image[None, :1], weight[:, :1], bias)[0], atol=1e-4) and image.shape[0] > 1:
        return _("that is the first input channel alone: each output value sums window × kernel over every input "
                 "channel, image[:, i:i + kH, j:j + kW] * weight[o]")
    if close(got, plain, atol=1e-4):
        return _("the bias is missing: add bias[o] to every value of output channel o")
    if close(got, plain + image.shape[0] * per_channel, atol=1e-4):
        return _("the bias was added once per input channel: add bias[o] once per output value")
    return _("value (o, i, j) is (image[:, i:i + kH, j:j + kW] * weight[o]).sum() + bias[o]")


def _compare(ex: ModuleType, image: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> None:
    want = F.conv2d(image[None], weight, bias)[0]
    got = tensor_of(ex.conv2d_channels(image.clone(), weight.clone(), bias.clone()), "conv2d_channels")
    same_shape(got, want, _("your output"), _("(C_out, H − kH + 1, W − kW + 1): one channel per kernel stack "
                                              "weight[o]"))
    if not close(got, want, atol=1e-4):
        raise Wrong(_("your output is {got}, F.conv2d gives {want}: {advice}").format(
            got=values(got), want=values(want), advice=_advice(got, image, weight, bias)))


def check_course(ex: ModuleType) -> None:
    _compare(ex, *_course())


@st.composite
def _cases(draw) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Small integer tensors: an image (C_in, H, W), weights (C_out, C_in, kH, kW) that fit it, a bias (C_out,)."""
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    height, width = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kh, kw = draw(st.integers(1, min(3, height))), draw(st.integers(1, min(3, width)))

    def numbers(*shape: int) -> torch.Tensor:
        count = int(torch.tensor(shape).prod())
        return torch.tensor(draw(st.lists(st.integers(-2, 2), min_size=count, max_size=count)),
                            dtype=torch.float32).reshape(shape)

    return numbers(c_in, height, width), numbers(c_out, c_in, kh, kw), numbers(c_out)


def _generated_case(ex: ModuleType, image: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> None:
    try:
        _compare(ex, image, weight, bias)
    except Wrong as err:  # the smallest input that fails, so the learner can redo it by hand
        raise Wrong(_("{hint} (image {image}, weight {weight}, bias {bias})").format(
            hint=err, image=values(image), weight=values(weight), bias=values(bias))) from None


def check_generated(ex: ModuleType) -> None:
    generated(_cases(), lambda *case: _generated_case(ex, *case), examples=40)


def _probe(ex: ModuleType) -> None:
    ex.conv2d_channels(torch.ones(1, 2, 2), torch.ones(1, 1, 1, 1), torch.zeros(1))


CHECKS = (
    Check(N_("conv2d_channels on the course's input as three channels, two kernel stacks and a bias"), check_course,
          ("conv2d_channels",)),
    Check(N_("conv2d_channels equals F.conv2d on 40 generated images, weights and biases"), check_generated,
          ("conv2d_channels",)),
    Check(N_("conv2d_channels is written by hand: no F.conv2d, nn.Conv2d or unfold"),
          by_hand(FORBIDDEN, N_("the convolution"), _probe), ("conv2d_channels",)),
)

MISTAKES = (
    Mistake(N_("the first input channel alone"), "(window * weight[o]).sum()", "(window[0] * weight[o, 0]).sum()",
            "first input channel alone"),
    Mistake(N_("no bias"), ".sum() + bias[o]", ".sum()", "the bias is missing"),
    Mistake(N_("the bias added once per input channel"), "(window * weight[o]).sum() + bias[o]",
            "sum((window[c] * weight[o, c]).sum() + bias[o] for c in range(window.shape[0]))",
            "once per input channel"),
    Mistake(N_("the output sized by the input channels, not the kernels"), "out = torch.zeros(c_out, out_h, out_w)",
            "out = torch.zeros(image.shape[0], out_h, out_w)", "one channel per kernel stack"),
    Mistake(N_("F.conv2d called instead of the loops"), "    return out\n",
            "    return torch.nn.functional.conv2d(image[None], weight, bias)[0]\n", "by hand"),
)
