"""Lesson 13 — the course model with nn.Sequential (课程第十三章：Sequential).

中文：课程的 CIFAR-10 模型（`torchstart.models.Tudui`）就是一个 `nn.Sequential`。本课把一批 (64, 3, 32, 32)
的输入逐层送过去，列出每层的名字、输出形状和参数个数，最后得到 (64, 10)，参数合计 145,578 个；再用
OrderedDict 的写法给各层起名字，搭一个同样的网络；最后用 `SummaryWriter.add_graph` 把计算图写进 TensorBoard。

English: the course's CIFAR-10 model (`torchstart.models.Tudui`) is one `nn.Sequential`. The lesson sends a
(64, 3, 32, 32) batch through it one layer at a time and lists each layer's name, output shape and parameter
count, ending at (64, 10) with 145,578 parameters in all; it builds the same network again with named layers
(the OrderedDict form); and it writes the graph to TensorBoard with `SummaryWriter.add_graph`.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..files import writable_dir
from ..i18n import _
from ..models import TUDUI_LAYERS, Tudui, count_parameters, layers_from_table
from .runner import lesson_main

BATCH = 64
# Names for the OrderedDict form, one per row of TUDUI_LAYERS.
LAYER_NAMES = ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "flatten", "linear1", "linear2"]


@dataclass
class LayerRow:
    name: str  # as in the state_dict: "model.0" … "model.8"
    layer: str  # e.g. "Conv2d(3, 32, kernel_size=(5, 5), …)"
    output_shape: tuple[int, ...]
    params: int


@dataclass
class Result:
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: list[LayerRow]
    total_params: int  # count_parameters(model)
    layer_by_layer_equals_model: bool  # running the layers in order gives model(x) exactly
    named_layers: list[str]  # the OrderedDict form's layer names
    named_params: int  # …and its parameter count (the same network, so the same number)
    log_dir: Path  # TensorBoard folder with the graph


def shape_table(model: Tudui, x: torch.Tensor) -> tuple[list[LayerRow], torch.Tensor]:
    """Run x through model.model one layer at a time; a row per layer and the final output."""
    rows = []
    for index, layer in enumerate(model.model):
        x = layer(x)
        rows.append(LayerRow(name=f"model.{index}", layer=repr(layer), output_shape=tuple(x.shape),
                             params=sum(p.numel() for p in layer.parameters())))
    return rows, x


def write_graph(model: nn.Module, x: torch.Tensor, log_dir: Path) -> Path:
    """The model's graph as a TensorBoard event file in log_dir (view: tensorboard --logdir log_dir)."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(log_dir=str(writable_dir(log_dir)))
    with warnings.catch_warnings():
        # add_graph records the graph with torch.jit.trace. Newer torch marks that as deprecated, and the
        # tracer warns that Python `if`s on shapes (Tudui's check for 32×32 inputs) are frozen into the trace;
        # both are about TensorBoard's internals, not about the picture of the graph or anything to change
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.trace", category=FutureWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        writer.add_graph(model, x)  # traces one forward pass to record which layer feeds which
    writer.close()
    return log_dir


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    torch.manual_seed(0)  # the weights do not change any shape; fixed only so runs repeat
    model = Tudui()
    x = torch.ones(BATCH, 3, 32, 32)  # the course's stand-in batch: only the shapes matter here
    with torch.no_grad():
        rows, last = shape_table(model, x)
        same = torch.equal(last, model(x))
    named = nn.Sequential(OrderedDict(zip(LAYER_NAMES, layers_from_table(TUDUI_LAYERS))))
    return Result(input_shape=tuple(x.shape), output_shape=tuple(last.shape), layers=rows,
                  total_params=count_parameters(model), layer_by_layer_equals_model=same,
                  named_layers=[name for name, _layer in named.named_children()], named_params=count_parameters(named),
                  log_dir=write_graph(model, x, out / "logs_seq"))


def describe(result: Result) -> str:
    lines = [_("input {input} → output {output}").format(input=result.input_shape, output=result.output_shape),
             _("name     output shape        params  layer")]
    lines += [f"{r.name:<8} {str(r.output_shape):<18} {r.params:>7,}  {r.layer}" for r in result.layers]
    lines += [_("total parameters: {total:,} (sum of the column: {column:,})").format(
                  total=result.total_params, column=sum(r.params for r in result.layers)),
              _("layer by layer == model(x): {same}").format(same=result.layer_by_layer_equals_model),
              _("named form: {names} ({params:,} parameters)").format(names=", ".join(result.named_layers),
                                                                      params=result.named_params),
              _("graph written to {log_dir} (tensorboard --logdir {log_dir})").format(log_dir=result.log_dir)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("sequential", argv)


if __name__ == "__main__":
    raise SystemExit(main())
