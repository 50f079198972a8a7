"""Checkpoints: a state_dict plus the metadata needed to use it, saved atomically, loaded safely.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts, so it loads with
`torch.load(..., weights_only=True)`: loading never runs code from the file. (The course saves
whole models with `torch.save(model)`; loading those needs full pickle, which can run any code
a stranger put in the file, and PyTorch ≥ 2.6 refuses it by default. course_import.py reads them.)

Saving goes through `files.atomic_write` (temp file, fsync, rename), so a crash or kill mid-save
leaves the previous checkpoint intact. `safe_torch_load` turns every way torch.load can fail —
its English error text included — into one CheckpointError naming the file.

The schema (FORMAT_VERSION 1): format, format_version, model_name, num_classes, classes,
normalization {mean, std}, input_size [H, W], model_state, torch_version, torchstart_version,
created, resize (how predict brings a photo to input_size: one of RESIZE_MODES; older files have none),
and whatever the writer adds (a training run adds its config, test accuracy and confusion,
optimiser/scheduler/RNG state and history: see resume.training_state).
"""

from __future__ import annotations

import math
import pickle
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._version import __version__
from ..config import MAX_IMAGE_SIZE, MODEL_NAMES, TrainConfig, from_dict
from ..errors import CheckpointError, ConfigError
from ..files import atomic_write, check_input
from ..i18n import N_, _
from ..models import build_model
from .portable import is_safetensors, read_safetensors

FORMAT = "torchstart.checkpoint"
FORMAT_VERSION = 1
# Fixes several errors share; marked here, shown with _(…) where raised.
UNREADABLE_FIX = N_("the file is corrupt, truncated or not a PyTorch file: use another one, e.g. checkpoints/last.pt")
DAMAGED_FIX = N_("use another checkpoint of the run (checkpoints/best.pt or last.pt), or train again")
# How a photo becomes input_size: "squash" = both sides to the size, as the course's Resize((32, 32)) (CIFAR-10
# models); "crop" = shorter side to the size, then the centre square, as image folders are prepared for training.
RESIZE_MODES = ("squash", "crop")


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside torch.compile / DistributedDataParallel wrappers."""
    model = getattr(model, "_orig_mod", model)
    return getattr(model, "module", model)


def make_checkpoint(model: nn.Module, *, model_name: str, classes: list[str] | tuple[str, ...],
                    mean: tuple[float, ...], std: tuple[float, ...], input_size: tuple[int, int] = (32, 32),
                    **extra: Any) -> dict[str, Any]:
    """The checkpoint dict: weights (on CPU) + what predict/evaluate need + `extra` (optimizer, epoch, …)."""
    state = {k: v.detach().cpu() for k, v in unwrap(model).state_dict().items()}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_name": model_name,
        "num_classes": len(classes),
        "classes": list(classes),
        "normalization": {"mean": list(mean), "std": list(std)},
        "input_size": list(input_size),
        "model_state": state,
        "torch_version": str(torch.__version__),  # TorchVersion is not a plain str
        "torchstart_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **extra,
    }


def save_checkpoint(checkpoint: dict[str, Any], path: Path) -> None:
    atomic_write(path, lambda f: torch.save(checkpoint, f))


def safe_torch_load(path: Path | str, map_location: str | torch.device, refused_fix: str) -> Any:
    """`torch.load(path, weights_only=True)` with every failure as one CheckpointError naming the file.

    `refused_fix` is the advice when the file needs more than plain data (a pickled object, a payload).
    """
    path = check_input(path, expect="file", what=N_("checkpoint"), error=CheckpointError,
                       fix=_("check the path; a run keeps its checkpoints in runs/<run>/checkpoints/"))
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's message: "Weights only load failed. <advice>\n[…WeightsUnpickler error:] <reason>\n\nCheck the …"
        text = str(err).split("Check the documentation")[0]
        reason = text.partition("WeightsUnpickler error:")[2] or text.partition("\n")[2] or text
        reason = " ".join(reason.split()).split(". Please use")[0]  # not torch's advice to allow-list: that trusts
        if "Unsupported operand" not in reason:  # an unknown opcode: not a pickle torch writes at all
            raise CheckpointError(
                _("{path} needs full pickle to load, which could run code hidden in the file ({reason})").format(
                    path=path, reason=reason[:160]), refused_fix) from None
        raise CheckpointError(_("{path} is not a readable PyTorch file ({reason})").format(
            path=path, reason=reason or str(err).splitlines()[0][:120]), _(UNREADABLE_FIX)) from None
    except Exception as err:  # truncated zip, text file, EOF, foreign format: all "not readable"
        detail = str(err).splitlines()[0][:120] if str(err) else _("truncated")
        raise CheckpointError(_("{path} is not a readable PyTorch file ({reason})").format(
            path=path, reason=f"{type(err).__name__}: {detail}"), _(UNREADABLE_FIX)) from None


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a torchstart checkpoint with `weights_only=True` — or an exported .safetensors file (weights and
    metadata, no pickle: see portable.py) — with its metadata checked; one clear CheckpointError otherwise."""
    if is_safetensors(path):
        return check_metadata(read_safetensors(path), path)
    checkpoint = safe_torch_load(path, map_location, _("only load checkpoints saved by torchstart; convert a "
                                 "course model with `torchstart import-course-model OLD.pth NEW.pt`"))
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise CheckpointError(
            _("{path} is not a torchstart checkpoint (a plain state_dict or another tool's file)").format(path=path),
            _("use a checkpoint written by `torchstart train` (runs/<run>/checkpoints/best.pt)"))
    return check_metadata(checkpoint, path)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _floats(value: Any, n: int) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == n and \
        all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)


def metadata_problem(checkpoint: dict[str, Any]) -> str | None:
    """What is wrong with the metadata of a dict that carries our format tag; None when it is all usable."""
    version = checkpoint.get("format_version")
    norm = checkpoint.get("normalization")
    size = checkpoint.get("input_size")
    classes = checkpoint.get("classes")
    state = checkpoint.get("model_state")
    config_problem = _config_problem(checkpoint["config"]) if "config" in checkpoint else None  # parsed once
    checks = [  # (fine, what is wrong): the field names are the file's own keys, so they stay as they are
        (_is_int(version) and version >= 1, _("format_version is {value!r}").format(value=version)),
        (checkpoint.get("model_name") in MODEL_NAMES, _("model_name is {value!r}, not one of {choices}").format(
            value=checkpoint.get("model_name"), choices=", ".join(MODEL_NAMES))),
        (_is_int(checkpoint.get("num_classes")) and checkpoint["num_classes"] >= 2,
         _("num_classes is {value!r}, not a whole number ≥ 2").format(value=checkpoint.get("num_classes"))),
        (isinstance(classes, (list, tuple)) and all(isinstance(c, str) for c in classes)
         and len(classes) == checkpoint.get("num_classes"),
         _("classes ({value}) do not name num_classes classes").format(value=str(classes)[:60])),
        (isinstance(norm, dict) and _floats(norm.get("mean"), 3) and _floats(norm.get("std"), 3)
         and all(s > 0 for s in norm["std"]),
         _("normalization is {value}, not 3 means and 3 positive stds").format(value=str(norm)[:80])),
        (isinstance(size, (list, tuple)) and len(size) == 2 and all(_is_int(s) and 8 <= s <= MAX_IMAGE_SIZE
                                                                    for s in size),
         _("input_size is {value!r}, not [height, width] of 8–{max} pixels").format(value=size, max=MAX_IMAGE_SIZE)),
        (isinstance(state, dict) and state and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                   for k, v in state.items()),
         _("model_state is not a dict of tensors")),
        ("epoch" not in checkpoint or _is_int(checkpoint["epoch"]),
         _("epoch is {value!r}").format(value=checkpoint.get("epoch"))),
        (config_problem is None, _("config is unreadable ({reason})").format(reason=config_problem)),
        (checkpoint.get("resize", "crop") in RESIZE_MODES, _("resize is {value!r}, not one of {choices}").format(
            value=checkpoint.get("resize"), choices=", ".join(RESIZE_MODES))),
    ]
    return next((problem for ok, problem in checks if not ok), None)


def _config_problem(config: Any) -> str | None:
    """Why a stored config is not a valid TrainConfig; None when it is."""
    try:
        from_dict(config).validate()
    except (TypeError, ValueError, KeyError, AttributeError, ConfigError) as err:
        return f"{type(err).__name__}: {str(err)[:80]}"
    return None


def stored_config(checkpoint: dict[str, Any]) -> TrainConfig | None:
    """The TrainConfig a (checked) checkpoint was trained with; None for one without (e.g. an imported model)."""
    return from_dict(checkpoint["config"]) if "config" in checkpoint else None


def check_metadata(checkpoint: dict[str, Any], path: Path | str) -> dict[str, Any]:
    """`checkpoint` when its metadata is usable; one CheckpointError naming the damaged field otherwise."""
    version = checkpoint.get("format_version")
    if _is_int(version) and version > FORMAT_VERSION:
        raise CheckpointError(_("{path} was written by a newer torchstart (format {version})").format(
            path=path, version=version), _("upgrade torchstart: pip install -U torchstart"))
    problem = metadata_problem(checkpoint)
    if problem is not None:
        raise CheckpointError(_("{path} is a damaged torchstart checkpoint: {problem}").format(
            path=path, problem=problem), _(DAMAGED_FIX))
    return checkpoint


def training_config(checkpoint: dict[str, Any], path: Path | str) -> TrainConfig:
    """The TrainConfig a training checkpoint (last.pt) stores; CheckpointError when it holds no usable one."""
    config = stored_config(checkpoint)  # checked by load_checkpoint
    if config is None or not isinstance(checkpoint.get("history"), dict) or "epoch" not in checkpoint:
        raise CheckpointError(_("{path} holds no training state to resume from").format(path=path),
                              _("resume only runs written by this torchstart version; start a new run"))
    return config


def model_from_checkpoint(checkpoint: dict[str, Any], path: Path | str = "checkpoint") -> nn.Module:
    """A model built from the registry with the checkpoint's weights, in eval mode, on CPU."""
    model = build_model(checkpoint["model_name"], num_classes=checkpoint["num_classes"])
    try:
        model.load_state_dict(checkpoint["model_state"])
    except RuntimeError as err:
        raise CheckpointError(_("{path}: weights do not fit model {model!r} ({reason})").format(
            path=path, model=checkpoint["model_name"], reason=str(err).splitlines()[0][:160]),
            _("the checkpoint is damaged or from an incompatible version")) from None
    return model.eval()
