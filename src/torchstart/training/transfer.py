"""Transfer learning: start a model from weights learned elsewhere, and choose what trains.

Three ways to start (TrainConfig fields, CLI flags in brackets):
  - weights="DEFAULT" (`--weights DEFAULT`): torchvision's ImageNet weights, read from the torch cache;
  - weights=PATH (`--weights PATH`): a state_dict or a torchstart checkpoint of the same architecture;
  - init=CKPT (`--init CKPT`): a torchstart checkpoint of another task — e.g. the course model trained on
    CIFAR-10 — which is transfer learning that works offline.
In every case the final linear layer (the head) is replaced when the class count differs: its weights
belong to the old task's classes. `freeze_backbone` then trains only that head.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..config import TrainConfig
from ..errors import CheckpointError, ConfigError
from ..i18n import _
from ..models import build_model, freeze_backbone, model_spec
from .checkpoint import FORMAT, check_metadata, load_checkpoint, safe_torch_load


@dataclass(frozen=True)
class StartingPoint:
    model: nn.Module
    source: str  # one line: where the starting weights came from
    trained: tuple[str, ...]  # names of the parameters that will train (all, or the head only)
    fresh: bool = False  # randomly initialised: data-dependent initialisation (build.fit_to_data) still to do


def _state_dict_of(obj: Any, path: Path, model_name: str) -> dict[str, torch.Tensor]:
    """The tensors in a loaded file: a torchstart checkpoint's model_state, or a plain state_dict."""
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        check_metadata(obj, path)
        if obj["model_name"] != model_name:
            raise ConfigError(_("{path} holds a {found!r} model, not {wanted!r}").format(
                path=path, found=obj["model_name"], wanted=model_name),
                _("add --model {found}, or pass weights for {wanted}").format(
                    found=obj["model_name"], wanted=model_name))
        return obj["model_state"]
    if isinstance(obj, dict) and obj and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                             for k, v in obj.items()):
        return obj
    raise CheckpointError(_("{path} is neither a state_dict nor a torchstart checkpoint").format(path=path),
                          _("save weights with torch.save(model.state_dict(), path) or use a checkpoint from a run"))


def load_into(model: nn.Module, state: dict[str, torch.Tensor], head: str, path: Path) -> bool:
    """Copy `state` into `model`, leaving out the head when its shape differs. True when the head was kept."""
    own = model.state_dict()
    head_keys = {k for k in own if k.startswith(head + ".")}
    missing = [k for k in own if k not in state and k not in head_keys]
    misfit = [k for k in own if k in state and k not in head_keys and state[k].shape != own[k].shape]
    if missing or misfit:
        example = (missing or misfit)[0]
        raise CheckpointError(_("{path} does not fit this model: {missing} tensors missing and {misfit} of another "
                                "shape (e.g. {example})").format(
            path=path, missing=len(missing), misfit=len(misfit), example=example),
            _("pass weights saved from the same --model (e.g. its runs/<run>/checkpoints/best.pt)"))
    keep_head = all(k in state and state[k].shape == own[k].shape for k in head_keys)
    chosen = {k: v for k, v in state.items() if k in own and (keep_head or k not in head_keys)}
    model.load_state_dict(chosen, strict=False)
    return keep_head


def starting_point(config: TrainConfig, num_classes: int) -> StartingPoint:
    """The model `config` asks for, with its starting weights loaded and its trainable parameters chosen."""
    spec = model_spec(config.model)
    fresh = config.weights.lower() == "none" and config.init is None
    if config.weights.upper() == "DEFAULT":
        model = build_model(config.model, num_classes, pretrained=True)  # cached file or one clear error
        source = _("torchvision's ImageNet weights for {model} (head replaced: {n} classes)").format(
            model=config.model, n=num_classes)
    elif fresh:
        model, source = build_model(config.model, num_classes), _("random initialisation")
    else:
        path = Path(config.init or config.weights)
        if config.init is not None:
            state = _state_dict_of(load_checkpoint(path), path, config.model)  # --init: checkpoints only
        else:
            state = _state_dict_of(safe_torch_load(path, "cpu", _("pass a state_dict or a torchstart checkpoint")),
                                   path, config.model)
        model = build_model(config.model, num_classes)
        kept = load_into(model, state, spec.head, path)
        source = (_("weights from {path}").format(path=path) if kept else
                  _("weights from {path} (head replaced: {n} classes)").format(path=path, n=num_classes))
    if config.freeze_backbone:
        trained = tuple(freeze_backbone(model, config.model))
        source = _("{source}; backbone frozen, only the head trains").format(source=source)
    else:
        trained = tuple(name for name, _param in model.named_parameters())
    return StartingPoint(model, source, trained, fresh=fresh)
