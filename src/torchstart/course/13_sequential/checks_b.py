"""Exercise 13b (sequential): build_mlp against the table it is given, layer_shapes against torch running the
layers — on the course's model and on models Hypothesis draws."""

from __future__ import annotations

from types import ModuleType

import torch
from hypothesis import strategies as st
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, generated, seeded
from torchstart.i18n import N_, _

COURSE_SIZES = [3 * 32 * 32, 64, 10]


def _layers(model: nn.Module) -> list[str]:
    """The layers as the hint shows them: ["Linear(4, 3)", "ReLU", …]."""
    return [f"Linear({m.in_features}, {m.out_features})" if isinstance(m, nn.Linear) else type(m).__name__
            for m in model.children()]


def _want_layers(sizes: list[int]) -> list[str]:
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [f"Linear({n_in}, {n_out})", "ReLU"]  # not text
    return layers[:-1]


def _compare_mlp(ex: ModuleType, sizes: list[int]) -> None:
    with seeded(13):
        model = ex.build_mlp(list(sizes))
    if not isinstance(model, nn.Sequential):
        raise Wrong(_("build_mlp({sizes}) returned {kind}: return an nn.Sequential").format(
            sizes=sizes, kind=type(model).__name__))
    got, want = _layers(model), _want_layers(sizes)
    if got == [*want, "ReLU"]:
        raise Wrong(_("build_mlp({sizes}) ends with a ReLU: no ReLU after the last Linear — a score may be negative, "
                      "and a ReLU there makes every negative score 0").format(sizes=sizes))
    if got != want:
        raise Wrong(_("build_mlp({sizes}) has the layers {got}, expected {want}: one Linear between each two "
                      "neighbouring sizes, a ReLU between two Linear layers").format(sizes=sizes, got=got, want=want))


def _course_model() -> nn.Sequential:
    with seeded(13):
        return nn.Sequential(nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2),
                             nn.MaxPool2d(2), nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(1024, 64), nn.Linear(64, 10))


def _torch_shapes(model: nn.Sequential, input_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    x, shapes = torch.zeros(input_shape), []
    for layer in model:
        x = layer(x)
        shapes.append(tuple(x.shape))
    return shapes


def _compare_shapes(ex: ModuleType, model: nn.Sequential, input_shape: tuple[int, ...]) -> None:
    with torch.no_grad():
        want = _torch_shapes(model, input_shape)
        got = ex.layer_shapes(model, input_shape)
    got = [tuple(s) for s in got] if isinstance(got, (list, tuple)) else got
    case = f"layer_shapes({_layers(model)}, {input_shape})"  # not text: the call, as code
    if got == [input_shape, *want[:-1]]:
        raise Wrong(_("{case} starts with the input's own shape and misses the last layer's: record each shape "
                      "after the layer ran").format(case=case))
    if got == [s[1:] for s in want]:
        raise Wrong(_("{case} gave {got}: the batch dimension is missing — keep x.shape whole").format(
            case=case, got=got))
    if got != want:
        raise Wrong(_("{case} gave {got}, torch gives {want}: run the batch through the layers one by one and "
                      "record the shape after each").format(case=case, got=got, want=want))


@st.composite
def _stacks(draw) -> tuple[nn.Sequential, tuple[int, ...]]:
    """A small CNN (Conv2d, sometimes MaxPool2d, then Flatten and a Linear) and the input shape it accepts."""
    batch, channels, size = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(4, 12))
    layers, c, s = [], channels, size
    for _block in range(draw(st.integers(1, 3))):
        kernel, padding, out = draw(st.integers(1, 3)), draw(st.integers(0, 1)), draw(st.integers(1, 4))
        if s + 2 * padding < kernel:
            break
        layers.append(nn.Conv2d(c, out, kernel, padding=padding))
        c, s = out, s + 2 * padding - kernel + 1
        if s >= 2 and draw(st.booleans()):
            layers.append(nn.MaxPool2d(2))
            s //= 2
    layers += [nn.Flatten(), nn.Linear(c * s * s, draw(st.integers(1, 5)))]
    return nn.Sequential(*layers), (batch, channels, size, size)


def check_mlp(ex: ModuleType) -> None:
    _compare_mlp(ex, COURSE_SIZES)
    generated(st.tuples(st.lists(st.integers(1, 20), min_size=2, max_size=5)), lambda sizes: _compare_mlp(ex, sizes))


def check_shapes(ex: ModuleType) -> None:
    _compare_shapes(ex, _course_model(), (64, 3, 32, 32))
    generated(_stacks(), lambda model, shape: _compare_shapes(ex, model, shape), examples=25)


CHECKS = (
    Check(N_("build_mlp(sizes) is an nn.Sequential: Linear, ReLU, …, Linear, with the sizes given"), check_mlp,
          ("build_mlp",)),
    Check(N_("layer_shapes(model, shape) gives each layer's output shape, as torch computes it"), check_shapes,
          ("layer_shapes",)),
)

MISTAKES = (
    Mistake(N_("a ReLU after the last Linear too"), "nn.Sequential(*layers[:-1])", "nn.Sequential(*layers)",
            "no ReLU after the last Linear"),
    Mistake(N_("the list given to nn.Sequential as it is, not unpacked"), "nn.Sequential(*layers[:-1])",
            "nn.Sequential(layers[:-1])", "nn.Sequential(*layers)"),
    Mistake(N_("the shape recorded before the layer ran"),
            "        x = layer(x)\n        shapes.append(tuple(x.shape))",
            "        shapes.append(tuple(x.shape))\n        x = layer(x)", "after the layer ran"),
    Mistake(N_("the shapes without the batch dimension"), "shapes.append(tuple(x.shape))",
            "shapes.append(tuple(x.shape[1:]))", "batch dimension is missing"),
)
