"""Exercise 8b (module): Stack registers its layers and its own parameter with nn.Module — counted, named and
reached by the gradient — and computes ReLU(conv(…)) × scale, for channel and layer counts Hypothesis draws."""

from __future__ import annotations

from types import ModuleType

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, close, generated, seeded, shape, tensor_of
from torchstart.i18n import N_, _


def _stack(ex: ModuleType, channels: int, count: int) -> nn.Module:
    with seeded(8):
        model = ex.Stack(channels, count)
    if not isinstance(model, nn.Module):
        raise Wrong(_("Stack(…) is {kind}: make Stack a subclass of nn.Module").format(kind=type(model).__name__))
    return model


def _compare_parameters(ex: ModuleType, channels: int, count: int) -> None:
    model = _stack(ex, channels, count)
    case = f"Stack({channels}, {count})"  # not text: the call, as code
    want = count * (channels * channels * 9 + channels) + 1
    got = sum(p.numel() for p in model.parameters())
    convs = list(getattr(model, "convs", []))
    if len({id(c) for c in convs}) < len(convs):
        raise Wrong(_("{case}: the layers in self.convs are one and the same Conv2d — [layer] * count repeats one "
                      "layer; make a new Conv2d for each").format(case=case))
    if not isinstance(getattr(model, "scale", None), nn.Parameter):
        kind = type(getattr(model, "scale", None)).__name__
        raise Wrong(_("{case}: self.scale is {kind}, not an nn.Parameter — a plain tensor is not learnt: "
                      "nn.Parameter(torch.ones(1))").format(case=case, kind=kind))
    if count and not isinstance(getattr(model, "convs", None), nn.ModuleList):
        raise Wrong(_("{case} has {got} parameters, expected {want}: self.convs is a {kind} — a plain list hides its "
                      "layers from parameters(), the optimiser and .to(): use nn.ModuleList").format(
                          case=case, got=got, want=want, kind=type(getattr(model, "convs", None)).__name__))
    if got != want:
        raise Wrong(_("{case} has {got} parameters, expected {want}: count Conv2d(channels, channels, 3) layers and "
                      "one scale").format(case=case, got=got, want=want))


def _reference(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    for conv in model.convs:
        x = F.relu(conv(x))
    return x * model.scale


def _compare_forward(ex: ModuleType, channels: int, count: int) -> None:
    model = _stack(ex, channels, count)
    with torch.no_grad():
        model.scale.fill_(-0.5)  # not 1: an output that ignores scale shows
    with seeded(80):
        x = torch.randn(2, channels, 5, 5)
    got = tensor_of(model(x.clone()), "Stack")
    want = _reference(model, x)
    case = f"Stack({channels}, {count})"  # not text: the call, as code
    if got.shape != want.shape:
        raise Wrong(_("{case} gave {got} for a {shape} input, expected {want}: padding=1 keeps the size").format(
            case=case, got=shape(got), shape=shape(x), want=shape(want)))
    unscaled = want / model.scale
    if close(got, unscaled) and not close(want, unscaled):  # all zeros after the ReLUs would not tell
        raise Wrong(_("{case}: the output does not depend on scale — return x * self.scale").format(case=case))
    if not close(got, want):
        raise Wrong(_("{case}: the output differs from ReLU after every convolution, times scale").format(case=case))
    got.sum().backward()
    if model.scale.grad is None:
        raise Wrong(_("{case}: no gradient reached scale — use self.scale itself in forward").format(case=case))


@st.composite
def _sizes(draw) -> tuple[int, int]:
    return draw(st.integers(1, 4)), draw(st.integers(0, 3))


def check_parameters(ex: ModuleType) -> None:
    _compare_parameters(ex, 3, 2)
    generated(_sizes(), lambda *case: _compare_parameters(ex, *case), examples=15)


def check_forward(ex: ModuleType) -> None:
    _compare_forward(ex, 3, 2)
    generated(_sizes(), lambda *case: _compare_forward(ex, *case), examples=15)


CHECKS = (
    Check(N_("Stack(channels, count) registers count Conv2d layers and scale: parameters() counts them all"),
          check_parameters, ("Stack",)),
    Check(N_("Stack computes ReLU after every convolution, times scale, and the gradient reaches scale"),
          check_forward, ("Stack",)),
)

MISTAKES = (
    Mistake(N_("the layers in a plain list, hidden from parameters()"), "self.convs = nn.ModuleList([",
            "self.convs = list([", "use nn.ModuleList"),
    Mistake(N_("one Conv2d repeated: [layer] * count"),
            "[nn.Conv2d(channels, channels, 3, padding=1) for _ in range(count)]",
            "[nn.Conv2d(channels, channels, 3, padding=1)] * count", "one and the same"),
    Mistake(N_("scale a plain tensor, not an nn.Parameter"), "self.scale = nn.Parameter(torch.ones(1))",
            "self.scale = torch.ones(1)", "not an nn.Parameter"),
    Mistake(N_("the output not multiplied by scale"), "return x * self.scale", "return x", "does not depend on scale"),
    Mistake(N_("no ReLU between the convolutions"), "x = F.relu(conv(x))", "x = conv(x)", "ReLU after every"),
)
