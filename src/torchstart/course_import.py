"""The course's own .pth files, read without running code from them: `torchstart import-course-model`.

The course saves `torch.save(tudui, "tudui_9.pth")`: a pickle of the whole model object, which names
its classes (`__main__.Tudui`, `torch.nn.modules.conv.Conv2d`, …). Plain `torch.load` would import and
call whatever the file names. We read it with torch's weights-only unpickler instead, allowing only the
layer classes below and a stand-in for the learner's own class, then keep nothing but the weights,
checked name by name and shape by shape against torchstart's Tudui, in a torchstart checkpoint.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .data.cifar10 import CIFAR10_CLASSES
from .errors import CheckpointError
from .files import new_output
from .i18n import N_, _
from .models import Tudui
from .training.checkpoint import FORMAT, make_checkpoint, safe_torch_load, save_checkpoint

# The torch.nn layers a course model may contain. Unpickling creates these real classes and fills in
# their attributes; it never calls their forward.
COURSE_LAYERS = (nn.Sequential, nn.Conv2d, nn.MaxPool2d, nn.Flatten, nn.Linear, nn.ReLU, nn.Sigmoid, nn.Dropout,
                 Tudui)  # torchstart's own Tudui, for a learner who saved that one whole
# A class from these is never taken for the learner's own: if it is not in COURSE_LAYERS, the file is refused.
LIBRARIES = frozenset({"torch", "torchvision", "numpy", "torchstart"})
COURSE_FILE_FIX = N_("import a file written by the course's torch.save(model) or torch.save(model.state_dict()); "
                     "a file from a stranger may be built to run code")


class LearnerModule(nn.Module):
    """Stands in for the learner's own nn.Module subclass (`__main__.Tudui`) while unpickling.

    Rebuilding a saved module only creates an object of its class (`__new__`) and fills its `__dict__`,
    so the learner's class, and any code in it, is never imported. A stand-in has no forward: only its
    weights are kept. Its constructor refuses to run: a saved module is never rebuilt by calling its
    class, so a file that does so is using the name for something else.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise pickle.UnpicklingError(_("the file calls a class or function of its own instead of rebuilding a "
                                       "model"))


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
        raise CheckpointError(_("{path} asks to load {names}, which no course model contains; refusing to unpickle "
                                "it").format(path=path, names=", ".join(refused[:3])), _(COURSE_FILE_FIX))
    stand_ins = [(LearnerModule, n) for n in names if _learner_class(n)]
    with torch.serialization.safe_globals([*COURSE_LAYERS, *stand_ins]):
        return safe_torch_load(path, "cpu", _(COURSE_FILE_FIX))


def _module_tensors(module: nn.Module, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """What `module.state_dict()` would hold, read from the attributes without calling any hook in the file."""
    if depth > 8:  # the course model is 2 levels deep; a crafted file can nest (or loop) forever
        raise ValueError(_("modules nested more than 8 levels deep"))
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
        raise CheckpointError(_("{path} is already a torchstart checkpoint").format(path=path),
                              _("use it as it is: torchstart evaluate {path}").format(path=path))
    if isinstance(obj, nn.Module):
        try:
            return _module_tensors(obj)
        except (TypeError, ValueError) as err:
            raise CheckpointError(_("{path} holds a malformed model ({reason})").format(path=path, reason=err),
                                  _(COURSE_FILE_FIX)) from None
    if isinstance(obj, dict) and all(isinstance(key, str) for key in obj):
        return dict(obj)
    raise CheckpointError(_("{path} holds a {kind}, not a model or a state_dict").format(
        path=path, kind=type(obj).__name__), _(COURSE_FILE_FIX))


def course_model_from_file(path: Path | str) -> nn.Module:
    """torchstart's Tudui with the weights of a course .pth file, checked name by name and shape by shape."""
    path = Path(path)
    weights = _course_weights(_unpickle_course_file(path), path)
    model = Tudui()
    expected = model.state_dict()
    missing, unexpected = sorted(expected.keys() - weights.keys()), sorted(weights.keys() - expected.keys())
    if missing or unexpected:
        raise CheckpointError(_("{path} is not the course's CIFAR-10 model (missing {missing}, unexpected "
                                "{unexpected})").format(path=path, missing=missing[:3], unexpected=unexpected[:3]),
                              _("only the course's Tudui (3 conv + 2 linear layers, no extras) can be imported"))
    for name, value in weights.items():
        if not isinstance(value, torch.Tensor) or not value.is_floating_point() or value.shape != expected[name].shape:
            found = f"{value.dtype} {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__
            raise CheckpointError(_("{path}: {name} is {found}, the course's model needs float {shape}").format(
                path=path, name=name, found=found, shape=tuple(expected[name].shape)),
                _("import the course's own Tudui model file"))
    model.load_state_dict({name: value.float() for name, value in weights.items()})
    return model.eval()


def import_course_model(old: Path | str, new: Path | str, *, force: bool = False) -> dict[str, Any]:
    """Convert a course .pth (whole model or state_dict) into a torchstart checkpoint at `new`; returns it.

    An existing `new` is never replaced silently: ConfigError, unless `force` (then it is kept aside).

    The course's test.py feeds its model `Resize((32, 32))` then `transforms.ToTensor()` (a photo squashed to
    32×32, pixels / 255, no normalisation), so the checkpoint records resize "squash", mean 0 and std 1:
    `torchstart predict` then prepares any photo, square or not, exactly as test.py does.
    """
    old, new = Path(old), Path(new)
    if new.resolve() == old.resolve():
        raise CheckpointError(_("{path} is the file being imported").format(path=new),
                              _("write the checkpoint to a new file, e.g. model.pt"))
    model = course_model_from_file(old)  # read and check it before anything is written
    new_output(new, force=force, what="NEW.pt")  # not text: the argument's name in --help
    checkpoint = make_checkpoint(model, model_name="tudui", classes=CIFAR10_CLASSES, mean=(0.0, 0.0, 0.0),
                                 std=(1.0, 1.0, 1.0), resize="squash", imported_from=str(old))
    save_checkpoint(checkpoint, new)
    return checkpoint
