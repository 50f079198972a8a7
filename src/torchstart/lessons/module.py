"""Lesson 8 — subclass nn.Module (课程第八章：nn.Module).

中文：PyTorch 里的网络都继承 `nn.Module`：在 `__init__` 里先调用 `super().__init__()`，再把层作为属性建好；
在 `forward` 里写数据怎么流过这些层。本课用官方文档的示例 `Model`（两层 5×5 卷积，每层后接 ReLU），
把 (1, 1, 28, 28) 的输入变成 (1, 20, 20, 20)，列出它自动登记的参数，再用 `F.conv2d` 手算一遍前向，
和 `model(x)` 对照。最后看看忘了 `super().__init__()` 会报什么错。

English: every network in PyTorch subclasses `nn.Module`: `__init__` calls `super().__init__()` and then
creates the layers as attributes; `forward` says how data flows through them. The lesson runs the `Model`
from the official docs (two 5×5 convolutions, each followed by ReLU) on a (1, 1, 28, 28) input to get
(1, 20, 20, 20), lists the parameters it registered on its own, recomputes the forward pass by hand with
`F.conv2d` and compares it with `model(x)`. Last, it shows the error you get when `super().__init__()` is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..i18n import _
from .runner import lesson_main


class Model(nn.Module):
    """The example from the nn.Module documentation."""

    def __init__(self) -> None:
        super().__init__()  # sets up the registries that make self.conv1 = … record the layer's parameters
        self.conv1 = nn.Conv2d(1, 20, 5)  # (N, 1, H, W) → (N, 20, H-4, W-4)
        self.conv2 = nn.Conv2d(20, 20, 5)  # (N, 20, H, W) → (N, 20, H-4, W-4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        return F.relu(self.conv2(x))


class NoSuperInit(nn.Module):
    """The same start as Model, but without super().__init__() — creating one raises AttributeError."""

    def __init__(self) -> None:
        self.conv1 = nn.Conv2d(1, 20, 5)


@dataclass
class Result:
    input_shape: tuple[int, ...]  # (1, 1, 28, 28)
    after_conv1: tuple[int, ...]  # (1, 20, 24, 24)
    output_shape: tuple[int, ...]  # (1, 20, 20, 20)
    printed: str  # print(model)
    parameters: list[tuple[str, tuple[int, ...]]]  # (name, shape) in registration order
    parameter_count: int
    output_min: float  # ≥ 0: the last operation is a ReLU
    by_hand_max_diff: float  # max |model(x) − the same forward written with F.conv2d|
    missing_super_error: str


def forward_by_hand(model: Model, x: torch.Tensor) -> torch.Tensor:
    """Model.forward without the module: the weights passed to the functional ops explicitly."""
    hidden = F.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias))  # (N, 20, H-4, W-4)
    return F.relu(F.conv2d(hidden, model.conv2.weight, model.conv2.bias))  # (N, 20, H-8, W-8)


def missing_super_error() -> str:
    try:
        NoSuperInit()
    except AttributeError as err:
        return str(err)
    return ""


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    torch.manual_seed(0)  # the same random weights and input every run
    model = Model()
    x = torch.randn(1, 1, 28, 28)  # one 28×28 grey image, like an MNIST digit
    with torch.no_grad():
        hidden = model.conv1(x)
        output = model(x)  # calling the module runs forward (and any hooks); don't call model.forward(x)
        by_hand = forward_by_hand(model, x)
    return Result(
        input_shape=tuple(x.shape),
        after_conv1=tuple(hidden.shape),
        output_shape=tuple(output.shape),
        printed=str(model),
        parameters=[(name, tuple(p.shape)) for name, p in model.named_parameters()],
        parameter_count=sum(p.numel() for p in model.parameters()),
        output_min=output.min().item(),
        by_hand_max_diff=(output - by_hand).abs().max().item(),
        missing_super_error=missing_super_error(),
    )


def describe(result: Result) -> str:
    lines = [result.printed,
             _("input {input} → conv1 {conv1} → conv2 {conv2}").format(
                 input=result.input_shape, conv1=result.after_conv1, conv2=result.output_shape),
             _("parameters ({count}):").format(count=result.parameter_count)]
    lines += [f"    {name}: {shape}" for name, shape in result.parameters]
    lines.append(_("smallest output {value:.4f} (ReLU last, so never negative)").format(value=result.output_min))
    lines.append(_("model(x) vs the same forward with F.conv2d: max difference {diff:.2e}").format(
        diff=result.by_hand_max_diff))
    lines.append(_("without super().__init__(): AttributeError: {error}").format(error=result.missing_super_error))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("module", argv)


if __name__ == "__main__":
    raise SystemExit(main())
