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
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .data import CIFAR10_CLASSES
from .errors import CheckpointError, TorchstartError
from .models import Tudui, build_model

FORMAT = "torchstart.checkpoint"
FORMAT_VERSION = 1
UNREADABLE_FIX = "the file is corrupt, truncated or not a PyTorch file: use another one, e.g. checkpoints/last.pt"


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside torch.compile / DistributedDataParallel wrappers."""
    model = getattr(model, "_orig_mod", model)
    return getattr(model, "module", model)


def _write_error(path: Path, err: OSError) -> TorchstartError:
    return TorchstartError(f"cannot write {path} ({err.strerror or err})",
                           "free disk space or pick a writable folder; a file it would replace is unchanged")


def _default_file_mode() -> int:
    """0o666 less the process umask: the mode open() would give a new file (e.g. 0o644)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, write) -> None:
    """Call `write(file_object)` on a temp file next to `path`, fsync, then rename onto `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise _write_error(path, err) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _default_file_mode())  # mkstemp makes it owner-only; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):  # disk full (ENOSPC), read-only file system (EROFS), no permission
            raise _write_error(path, err) from None
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


def safe_torch_load(path: Path | str, map_location: str | torch.device, refused_fix: str) -> Any:
    """`torch.load(path, weights_only=True)` with every failure as one CheckpointError naming the file.

    `refused_fix` is the advice when the file needs more than plain data (a pickled object, a payload).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist",
                              "check the path; a run keeps its checkpoints in runs/<run>/checkpoints/")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's message: "Weights only load failed. <advice>\n[…WeightsUnpickler error:] <reason>\n\nCheck the …"
        text = str(err).split("Check the documentation")[0]
        reason = text.partition("WeightsUnpickler error:")[2] or text.partition("\n")[2] or text
        reason = " ".join(reason.split()).split(". Please use")[0]  # not torch's advice to allow-list: that trusts
        if "Unsupported operand" not in reason:  # an unknown opcode: not a pickle torch writes at all
            raise CheckpointError(
                f"{path} needs full pickle to load, which could run code hidden in the file ({reason[:160]})",
                refused_fix) from None
        raise CheckpointError(f"{path} is not a readable PyTorch file ({reason or str(err).splitlines()[0][:120]})",
                              UNREADABLE_FIX) from None
    except Exception as err:  # truncated zip, text file, EOF, foreign format: all "not readable"
        detail = str(err).splitlines()[0][:120] if str(err) else "truncated"
        raise CheckpointError(f"{path} is not a readable PyTorch file ({type(err).__name__}: {detail})",
                              UNREADABLE_FIX) from None


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a torchstart checkpoint with `weights_only=True`; one clear CheckpointError otherwise."""
    checkpoint = safe_torch_load(path, map_location, "only load checkpoints saved by torchstart; convert a "
                                 "course model with `torchstart import-course-model OLD.pth NEW.pt`")
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a torchstart checkpoint (a plain state_dict or another tool's file)",
                              "use a checkpoint written by `torchstart train` (runs/<run>/checkpoints/best.pt)")
    if checkpoint.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer torchstart (format {checkpoint['format_version']})",
                              "upgrade torchstart: pip install -U torchstart")
    return checkpoint


def model_from_checkpoint(checkpoint: dict[str, Any], path: Path | str = "checkpoint") -> nn.Module:
    """A model built from the registry with the checkpoint's weights, in eval mode, on CPU."""
    model = build_model(checkpoint["model_name"], num_classes=checkpoint["num_classes"])
    try:
        model.load_state_dict(checkpoint["model_state"])
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit model {checkpoint['model_name']!r} "
                              f"({str(err).splitlines()[0][:160]})",
                              "the checkpoint is damaged or from an incompatible version") from None
    return model.eval()


# ---- The course's own .pth files -------------------------------------------------------------------------------
# The course saves `torch.save(tudui, "tudui_9.pth")`: a pickle of the whole model object, which names
# its classes (`__main__.Tudui`, `torch.nn.modules.conv.Conv2d`, …). Plain `torch.load` would import and
# call whatever the file names. We read it with torch's weights-only unpickler instead, allowing only the
# layer classes below and a stand-in for the learner's own class, then keep nothing but the weights.

# The torch.nn layers a course model may contain. Unpickling creates these real classes and fills in
# their attributes; it never calls their forward.
COURSE_LAYERS = (nn.Sequential, nn.Conv2d, nn.MaxPool2d, nn.Flatten, nn.Linear, nn.ReLU, nn.Sigmoid, nn.Dropout,
                 Tudui)  # torchstart's own Tudui, for a learner who saved that one whole
# A class from these is never taken for the learner's own: if it is not in COURSE_LAYERS, the file is refused.
LIBRARIES = frozenset({"torch", "torchvision", "numpy", "torchstart"})
COURSE_FILE_FIX = ("import a file written by the course's torch.save(model) or torch.save(model.state_dict()); "
                   "a file from a stranger may be built to run code")


class LearnerModule(nn.Module):
    """Stands in for the learner's own nn.Module subclass (`__main__.Tudui`) while unpickling.

    Rebuilding a saved module only creates an object of its class (`__new__`) and fills its `__dict__`,
    so the learner's class, and any code in it, is never imported. A stand-in has no forward: only its
    weights are kept. Its constructor refuses to run: a saved module is never rebuilt by calling its
    class, so a file that does so is using the name for something else.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise pickle.UnpicklingError("the file calls a class or function of its own instead of rebuilding a model")


def _learner_class(name: str) -> bool:
    """`__main__.Tudui` or `model.Tudui` (the course's `from model import *`), not the standard library's."""
    top = name.split(".")[0]
    return top == "__main__" or (top not in sys.stdlib_module_names and top not in LIBRARIES)


def _unpickle_course_file(path: Path) -> Any:
    """The object in a course .pth file, rebuilt from allow-listed classes only (CPU tensors)."""
    try:  # the names the pickle would look up, read without running it (zip-format files, torch ≥ 1.6)
        names = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    except Exception:  # text, truncated, pre-1.6 format: the weights-only load below reports it
        names = []
    layers = {f"{cls.__module__}.{cls.__qualname__}" for cls in COURSE_LAYERS}
    refused = sorted(n for n in names if n not in layers and not _learner_class(n))
    if refused:
        raise CheckpointError(f"{path} asks to load {', '.join(refused[:3])}, which no course model contains; "
                              "refusing to unpickle it", COURSE_FILE_FIX)
    stand_ins = [(LearnerModule, n) for n in names if _learner_class(n)]
    with torch.serialization.safe_globals([*COURSE_LAYERS, *stand_ins]):
        return safe_torch_load(path, "cpu", COURSE_FILE_FIX)


def _module_tensors(module: nn.Module, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """What `module.state_dict()` would hold, read from the attributes without calling any hook in the file."""
    if depth > 8:  # the course model is 2 levels deep; a crafted file can nest (or loop) forever
        raise ValueError("modules nested more than 8 levels deep")
    found: dict[str, Any] = {}
    skip = vars(module).get("_non_persistent_buffers_set", set())
    for kind in ("_parameters", "_buffers"):
        found.update((prefix + name, value) for name, value in dict(vars(module).get(kind, {})).items()
                     if value is not None and name not in skip)
    for name, child in dict(vars(module).get("_modules", {})).items():
        if isinstance(child, nn.Module):
            found.update(_module_tensors(child, f"{prefix}{name}.", depth + 1))
    return found


def _course_weights(obj: Any, path: Path) -> dict[str, Any]:
    """The weights in a course file: a whole model, or a state_dict (`torch.save(model.state_dict())`)."""
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        raise CheckpointError(f"{path} is already a torchstart checkpoint",
                              f"use it as it is: torchstart evaluate {path}")
    if isinstance(obj, nn.Module):
        try:
            return _module_tensors(obj)
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"{path} holds a malformed model ({err})", COURSE_FILE_FIX) from None
    if isinstance(obj, dict) and all(isinstance(key, str) for key in obj):
        return dict(obj)
    raise CheckpointError(f"{path} holds a {type(obj).__name__}, not a model or a state_dict", COURSE_FILE_FIX)


def course_model_from_file(path: Path | str) -> nn.Module:
    """torchstart's Tudui with the weights of a course .pth file, checked name by name and shape by shape."""
    path = Path(path)
    weights = _course_weights(_unpickle_course_file(path), path)
    model = Tudui()
    expected = model.state_dict()
    missing, unexpected = sorted(expected.keys() - weights.keys()), sorted(weights.keys() - expected.keys())
    if missing or unexpected:
        raise CheckpointError(f"{path} is not the course's CIFAR-10 model (missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]})",
                              "only the course's Tudui (3 conv + 2 linear layers, no extras) can be imported")
    for name, value in weights.items():
        if not isinstance(value, torch.Tensor) or not value.is_floating_point() or value.shape != expected[name].shape:
            found = f"{value.dtype} {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__
            raise CheckpointError(f"{path}: {name} is {found}, the course's model needs float "
                                  f"{tuple(expected[name].shape)}", "import the course's own Tudui model file")
    model.load_state_dict({name: value.float() for name, value in weights.items()})
    return model.eval()


def import_course_model(old: Path | str, new: Path | str) -> dict[str, Any]:
    """Convert a course .pth (whole model or state_dict) into a torchstart checkpoint at `new`; returns it.

    The course feeds its model `transforms.ToTensor()` output (pixels / 255, no normalisation), so the
    checkpoint records mean 0 and std 1: `torchstart predict` then prepares images exactly as it did.
    """
    old, new = Path(old), Path(new)
    if new.resolve() == old.resolve():
        raise CheckpointError(f"{new} is the file being imported", "write the checkpoint to a new file, e.g. model.pt")
    model = course_model_from_file(old)
    checkpoint = make_checkpoint(model, model_name="tudui", classes=CIFAR10_CLASSES, mean=(0.0, 0.0, 0.0),
                                 std=(1.0, 1.0, 1.0), imported_from=str(old))
    save_checkpoint(checkpoint, new)
    return checkpoint
