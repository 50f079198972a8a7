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

`speedrun` (models/speedrun.py) is the capstone's network, of the kind the CIFAR-10 speed records use
(Page's "How to train your ResNet", hlb-CIFAR10, Jordan's airbench94): a fixed whitening layer, then
three conv blocks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

import torch
from torch import nn

from ..errors import ConfigError, DataError
from ..i18n import _
from .speedrun import Speedrun

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
    """The course's CIFAR-10 classifier (its author calls it Tudui, 土堆).

    Made for 32×32 inputs. Other sizes work too: after the three conv/pool stages the feature map is
    (B, 64, H/8, W/8), and a parameter-free adaptive max-pool brings it to the (B, 64, 4, 4) the first
    linear layer expects. At 32×32 the course's Sequential runs as it is.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        table = list(TUDUI_LAYERS)
        table[-1] = ("linear", 64, num_classes)
        self.model = layers_from_table(table)

    def forward(self, x):  # (B, 3, 32, 32) → (B, num_classes)
        if x.shape[-2:] == (32, 32):
            return self.model(x)  # the course's path, unchanged
        features = self.model[:6](x)  # (B, 64, H/8, W/8)
        return self.model[6:](nn.functional.adaptive_max_pool2d(features, (4, 4)))


@dataclass(frozen=True)
class ModelSpec:
    """How to build one registry model and what it expects."""

    build: Callable[..., nn.Module]  # build(num_classes=…, weights=enum member or None) → model
    head: str  # dotted name of the final nn.Linear, the layer replaced for a new class count
    weights: str | None = None  # torchvision weights enum, e.g. "ResNet18_Weights"; None = no pretrained weights
    input_size: int = 32  # side in pixels when the weights declare none


def _torchvision(builder: str) -> Callable[..., nn.Module]:
    """A builder that makes torchvision's model with ImageNet's 1,000 outputs, then fits the head."""

    def build(num_classes: int, weights=None, head: str = "") -> nn.Module:
        import torchvision

        model = getattr(torchvision.models, builder)(weights=weights)
        replace_head(model, head, num_classes)
        return model

    return build


MODELS: dict[str, ModelSpec] = {
    "tudui": ModelSpec(lambda num_classes, weights=None, head="": Tudui(num_classes), head="model.8"),
    "speedrun": ModelSpec(lambda num_classes, weights=None, head="": Speedrun(num_classes), head="head"),
    "resnet18": ModelSpec(_torchvision("resnet18"), head="fc", weights="ResNet18_Weights", input_size=224),
    "mobilenet_v3_small": ModelSpec(_torchvision("mobilenet_v3_small"), head="classifier.3",
                                    weights="MobileNet_V3_Small_Weights", input_size=224),
    "vgg16": ModelSpec(_torchvision("vgg16"), head="classifier.6", weights="VGG16_Weights", input_size=224),
}


def model_spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ConfigError(_("unknown model {name!r}").format(name=name),
                          _("use one of {choices}").format(choices=", ".join(MODELS)))
    return MODELS[name]


def weights_enum(name: str, which: str = "DEFAULT"):
    """torchvision's weights member for model `name` (e.g. ResNet18_Weights.DEFAULT); ConfigError for tudui."""
    spec = model_spec(name)
    if spec.weights is None:
        raise ConfigError(_("model {name!r} has no pretrained weights to download").format(name=name),
                          _("use --weights none, or --init CKPT to start from one of your own checkpoints"))
    import torchvision

    return getattr(torchvision.models, spec.weights)[which]


def preprocessing(name: str) -> tuple[int, tuple[float, ...], tuple[float, ...]] | None:
    """(input side in pixels, mean, std) that the model's weights declare; None for the course model."""
    spec = model_spec(name)
    if spec.weights is None:
        return None
    transforms = weights_enum(name).transforms()  # ImageClassification: resize → crop → normalise
    return int(transforms.crop_size[0]), tuple(transforms.mean), tuple(transforms.std)


def build_model(name: str, num_classes: int = 10, pretrained: bool = False) -> nn.Module:
    """A model from the registry: randomly initialised, or (pretrained=True) from torchvision's cached weights.

    Pretrained weights are never downloaded here: when the file is not in the torch cache this ends in one
    DataError naming the file, the cache folder and the URL to fetch it from.
    """
    spec = model_spec(name)
    weights = None
    if pretrained:
        weights = weights_enum(name)
        require_pretrained_weights(weights)
    return spec.build(num_classes=num_classes, weights=weights, head=spec.head)


def head_layer(model: nn.Module, head: str) -> nn.Linear:
    return model.get_submodule(head)


def replace_head(model: nn.Module, head: str, num_classes: int) -> bool:
    """Swap the final linear layer for a fresh one with `num_classes` outputs; False when it already fits."""
    if not head:
        return False
    old = head_layer(model, head)
    if old.out_features == num_classes:
        return False
    parent_name, _dot, child = head.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, nn.Linear(old.in_features, num_classes))
    return True


def freeze_backbone(model: nn.Module, name: str) -> list[str]:
    """Only the head keeps requires_grad; returns the names of the parameters that will train."""
    prefix = model_spec(name).head + "."
    trained = []
    for param_name, param in model.named_parameters():
        param.requires_grad = param_name.startswith(prefix)
        if param.requires_grad:
            trained.append(param_name)
    return trained


def uses_batchnorm(name: str) -> bool:
    """Whether model `name` has BatchNorm layers, which in training normalise by the statistics of the batch itself
    (so they need at least two values per channel: two images when the last feature map is 1×1).

    Built on the meta device: the layers without their weights, in a few milliseconds and no memory.
    """
    with torch.device("meta"):
        model = build_model(name, num_classes=2)
    return any(isinstance(module, nn.modules.batchnorm._BatchNorm) for module in model.modules())


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
        raise DataError(_("the pretrained weights {weights} are not in the torch cache {folder}").format(
            weights=weights, folder=status.path.parent),
            _("download {url} (on any machine with internet) and put it at {path} (the folder moves with "
              "$TORCH_HOME), or train without them: --weights none (weights=None in Python)").format(
                url=status.url, path=status.path))
    return status.path
