"""Exercise 8 (module): the chapter's `Model` — its layers, the output shape, its parameters and its forward."""

from __future__ import annotations

from types import ModuleType

import torch
import torch.nn.functional as F
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, close, seeded, shape, tensor_of
from torchstart.i18n import N_, _

PARAMETERS = 20 * 1 * 5 * 5 + 20 + 20 * 20 * 5 * 5 + 20  # conv1 and conv2, weights and biases: 10,540


def _model(ex: ModuleType) -> nn.Module:
    with seeded(8):
        model = ex.Model()
    if not isinstance(model, nn.Module):
        raise Wrong(_("Model() is {kind}: the class must subclass nn.Module").format(kind=type(model).__name__))
    return model


def _conv(model: nn.Module, name: str, want: tuple[int, int, int]) -> None:
    layer = getattr(model, name, None)
    if not isinstance(layer, nn.Conv2d):
        raise Wrong(_("the model has no nn.Conv2d called {name}: create it in __init__, self.{name} = "
                      "nn.Conv2d(…)").format(name=name))
    got = (layer.in_channels, layer.out_channels, layer.kernel_size[0])
    if got != want:
        raise Wrong(_("{name} is Conv2d{got}, expected Conv2d{want}").format(name=name, got=got, want=want))


def check_layers(ex: ModuleType) -> None:
    model = _model(ex)
    _conv(model, "conv1", (1, 20, 5))
    _conv(model, "conv2", (20, 20, 5))


def check_shape(ex: ModuleType) -> None:
    model = _model(ex)
    got = tensor_of(model(torch.randn(1, 1, 28, 28)), "Model()(x)")
    if tuple(got.shape) != (1, 20, 20, 20):
        raise Wrong(_("(1, 1, 28, 28) became {got}, expected (1, 20, 20, 20): each 5×5 convolution takes 4 "
                      "pixels off each side's length").format(got=shape(got)))


def check_parameters(ex: ModuleType) -> None:
    got = sum(p.numel() for p in _model(ex).parameters())
    if got == 0:
        raise Wrong(_("the model has no parameters: create the layers as attributes in __init__ (self.conv1 = …), "
                      "so nn.Module records them"))
    if got != PARAMETERS:
        raise Wrong(_("the model has {got:,} parameters, expected {want:,} (20·1·5·5 + 20 + 20·20·5·5 + 20)").format(
            got=got, want=PARAMETERS))


def check_forward(ex: ModuleType) -> None:
    model = _model(ex)
    with seeded(1):
        x = torch.randn(2, 1, 28, 28)
    c1, c2 = model.conv1, model.conv2
    with torch.no_grad():
        got = tensor_of(model(x), "Model()(x)")
        want = F.relu(c2(F.relu(c1(x))))
    if close(got, want):
        return
    if float(got.min()) < 0:
        raise Wrong(_("the output has negative numbers: ReLU comes after conv2 too"))
    if close(got, F.relu(c2(c1(x)))):
        raise Wrong(_("the output differs from ReLU(conv2(ReLU(conv1(x)))): is there a ReLU after conv1?"))
    raise Wrong(_("the output differs from ReLU(conv2(ReLU(conv1(x)))), computed with the model's own layers"))


CHECKS = (
    Check(N_("Model() has conv1 = Conv2d(1, 20, 5) and conv2 = Conv2d(20, 20, 5)"), check_layers, ("Model",)),
    Check(N_("a (1, 1, 28, 28) input gives (1, 20, 20, 20)"), check_shape, ("Model",)),
    Check(N_("nn.Module records its 10,540 parameters"), check_parameters, ("Model",)),
    Check(N_("forward is ReLU(conv2(ReLU(conv1(x))))"), check_forward, ("Model",)),
)

MISTAKES = (
    Mistake(N_("super().__init__() left out"), "super().__init__()  # first", "pass  # first", "super().__init__()"),
    Mistake(N_("no ReLU after the last convolution"), "return F.relu(self.conv2(x))", "return self.conv2(x)",
            "negative numbers"),
)
