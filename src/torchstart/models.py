"""Models: the course's CIFAR-10 network as a layer table, a name → builder registry, and a check
whether torchvision's pretrained weights are already in the torch cache (so they load offline).

The course (chapter 十三) writes the network as one `nn.Sequential` inside a module whose
attribute is called `model`. We build exactly that from a table, so the parameter names
(`model.0.weight`, …) match a state_dict saved by the course's own code.

Shapes for a CIFAR-10 batch of B images:

    (B, 3, 32, 32) → conv 5×5 pad 2 → (B, 32, 32, 32) → maxpool 2 → (B, 32, 16, 16)
    → conv 5×5 pad 2 → (B, 32, 16, 16) → maxpool 2 → (B, 32, 8, 8)
    → conv 5×5 pad 2 → (B, 64, 8, 8)   → maxpool 2 → (B, 64, 4, 4)
    → flatten → (B, 1024) → linear → (B, 64) → linear → (B, 10) logits

There is no activation function between the layers — the course leaves them out, and we
keep its model as it is (max-pooling is its only non-linearity). 145,578 parameters.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

import torch
from torch import nn

from .errors import ConfigError, DataError

# (kind, arguments). "conv": in, out, kernel, padding; "pool": kernel; "linear": in, out.
TUDUI_LAYERS: list[tuple] = [
    ("conv", 3, 32, 5, 2),
    ("pool", 2),
    ("conv", 32, 32, 5, 2),
    ("pool", 2),
    ("conv", 32, 64, 5, 2),
    ("pool", 2),
    ("flatten",),
    ("linear", 64 * 4 * 4, 64),
    ("linear", 64, 10),
]


def layers_from_table(table: list[tuple]) -> nn.Sequential:
    """Turn a layer table into an `nn.Sequential`, one module per row."""
    makers: dict[str, Callable[..., nn.Module]] = {
        "conv": lambda i, o, k, p: nn.Conv2d(i, o, kernel_size=k, padding=p),
        "pool": lambda k: nn.MaxPool2d(k),
        "flatten": nn.Flatten,
        "linear": nn.Linear,
    }
    return nn.Sequential(*(makers[kind](*args) for kind, *args in table))


class Tudui(nn.Module):
    """The course's CIFAR-10 classifier (its author calls it Tudui, 土堆)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        table = list(TUDUI_LAYERS)
        table[-1] = ("linear", 64, num_classes)
        self.model = layers_from_table(table)

    def forward(self, x):  # (B, 3, 32, 32) → (B, num_classes)
        return self.model(x)


MODELS: dict[str, Callable[..., nn.Module]] = {
    "tudui": Tudui,
}


def build_model(name: str, num_classes: int = 10) -> nn.Module:
    """A fresh, randomly initialised model from the registry."""
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}", f"use one of {', '.join(MODELS)}")
    return MODELS[name](num_classes=num_classes)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class WeightsStatus(NamedTuple):
    available: bool  # the file is already in the torch cache, so `weights=` loads without a download
    path: Path  # where torch looks for it: torch.hub.get_dir()/checkpoints/<file name from the URL>
    url: str  # where to download it from on a machine with internet


def pretrained_weights_status(weights) -> WeightsStatus:
    """Whether a torchvision weights enum member (e.g. `VGG16_Weights.DEFAULT`) is cached, and where and from where.

    torchvision downloads `weights.url` into the same place `torch.hub.load_state_dict_from_url` uses, so a file
    copied there by hand is used as if it had been downloaded. Nothing is downloaded or read here.
    """
    file_name = os.path.basename(urlparse(weights.url).path)
    path = Path(torch.hub.get_dir()) / "checkpoints" / file_name
    return WeightsStatus(path.is_file(), path, weights.url)


def require_pretrained_weights(weights) -> Path:
    """The cached file of `weights`, or a DataError saying which file to download from where and where to put it."""
    status = pretrained_weights_status(weights)
    if not status.available:
        raise DataError(f"the pretrained weights {weights} are not in the torch cache {status.path.parent}",
                        f"download {status.url} (on any machine with internet) and put it at {status.path} "
                        "(the folder moves with $TORCH_HOME), or use weights=None")
    return status.path
