"""Checkpoints: a state_dict plus the metadata needed to use it, saved atomically, loaded safely.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts, so it loads with
`torch.load(..., weights_only=True)`: loading never runs code from the file. (The course saves
whole models with `torch.save(model)`; loading those needs full pickle, which can run any code
a stranger put in the file, and PyTorch ≥ 2.6 refuses it by default.)

Saving writes to a temporary file in the same folder, fsyncs it and renames it over the old
file; a rename within one folder is atomic, so a crash or kill mid-save leaves the previous
checkpoint intact.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .errors import CheckpointError

FORMAT = "torchstart.checkpoint"
FORMAT_VERSION = 1


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside torch.compile / DistributedDataParallel wrappers."""
    model = getattr(model, "_orig_mod", model)
    return getattr(model, "module", model)


def atomic_write(path: Path, write) -> None:
    """Call `write(file_object)` on a temp file next to `path`, fsync, then rename onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def make_checkpoint(model: nn.Module, *, model_name: str, classes: list[str] | tuple[str, ...],
                    mean: tuple[float, ...], std: tuple[float, ...], input_size: tuple[int, int] = (32, 32),
                    **extra: Any) -> dict[str, Any]:
    """The checkpoint dict: weights (on CPU) + what predict/evaluate need + `extra` (optimizer, epoch, …)."""
    from . import __version__

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


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a torchstart checkpoint with `weights_only=True`; one clear CheckpointError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist",
                              "pass a file such as runs/<run>/checkpoints/best.pt")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        reason = next((line.strip() for line in str(err).splitlines() if "WeightsUnpickler error" in line),
                      str(err).splitlines()[0] if str(err) else "")
        raise CheckpointError(
            f"{path} needs full pickle to load, which could run code hidden in the file ({reason[:160]})",
            "only load checkpoints saved by torchstart or plain state_dicts; "
            "convert a course model with `torchstart import-course-model`") from None
    except Exception as err:  # truncated zip, text file, EOF, foreign format: all "not readable"
        raise CheckpointError(f"{path} is not a readable PyTorch file ({type(err).__name__}: "
                              f"{str(err).splitlines()[0][:120] if str(err) else 'truncated'})",
                              "the file is corrupt or truncated: use another one, e.g. checkpoints/last.pt") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a torchstart checkpoint (a plain state_dict or another tool's file)",
                              "use a checkpoint written by `torchstart train` (runs/<run>/checkpoints/best.pt)")
    if checkpoint.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer torchstart (format {checkpoint['format_version']})",
                              "upgrade torchstart: pip install -U torchstart")
    return checkpoint


def model_from_checkpoint(checkpoint: dict[str, Any], path: Path | str = "checkpoint") -> nn.Module:
    """A model built from the registry with the checkpoint's weights, in eval mode, on CPU."""
    from .models import build_model

    model = build_model(checkpoint["model_name"], num_classes=checkpoint["num_classes"])
    try:
        model.load_state_dict(checkpoint["model_state"])
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit model {checkpoint['model_name']!r} "
                              f"({str(err).splitlines()[0][:160]})",
                              "the checkpoint is damaged or from an incompatible version") from None
    return model.eval()
