"""Exercise 18 (gpu): `pick_device` in faked situations (CUDA, only MPS, neither), `to_device` with the meta device.

torch's own answers are swapped for the duration of one call, so every branch is checked on any machine;
"meta" is a device every torch has (tensors with a shape and no memory), so moving can be checked anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import torch
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong
from torchstart.i18n import N_, _

# (CUDA available, MPS built and available) → the device the course's rule picks
SITUATIONS = (((True, True), "cuda"), ((False, True), "mps"), ((False, False), "cpu"), ((True, False), "cuda"))


@contextmanager
def faked(cuda: bool, mps: bool) -> Iterator[None]:
    saved = torch.cuda.is_available, torch.backends.mps.is_available, torch.backends.mps.is_built
    torch.cuda.is_available = lambda: cuda
    torch.backends.mps.is_available = lambda: mps
    torch.backends.mps.is_built = lambda: mps
    try:
        yield
    finally:
        torch.cuda.is_available, torch.backends.mps.is_available, torch.backends.mps.is_built = saved


def _describe(cuda: bool, mps: bool) -> str:
    if cuda and mps:
        return _("with CUDA and MPS both available")
    if cuda:
        return _("with CUDA available")
    return _("with only MPS available") if mps else _("with neither CUDA nor MPS")


def check_pick(ex: ModuleType) -> None:
    for (cuda, mps), want in SITUATIONS:
        with faked(cuda, mps):
            got = ex.pick_device()
        try:
            kind = torch.device(got).type
        except (TypeError, RuntimeError):
            raise Wrong(_("pick_device() returned {got!r}: return torch.device(\"cuda\"), \"mps\" or \"cpu\"").format(
                got=got)) from None
        if kind == want:
            continue
        advice = {"cuda": _("CUDA comes first"), "mps": _("try MPS after CUDA"),
                  "cpu": _("fall back to cpu when neither can be used")}[want]
        raise Wrong(_("{situation} you chose {got}, expected {want}: {advice}").format(
            situation=_describe(cuda, mps), got=kind, want=want, advice=advice))


def check_move(ex: ModuleType) -> None:
    model, images, labels = nn.Linear(3, 2), torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)
    got = ex.to_device(model, images, labels, torch.device("meta"))
    if not isinstance(got, tuple) or len(got) != 3:
        raise Wrong(_("to_device returned {kind}: return (model, images, labels)").format(kind=type(got).__name__))
    moved_model, moved_images, moved_labels = got
    if next(moved_model.parameters()).device.type != "meta":
        raise Wrong(_("the model is still on cpu: model.to(device)"))
    for name, tensor in (("images", moved_images), ("labels", moved_labels)):
        if not isinstance(tensor, torch.Tensor) or tensor.device.type != "meta":
            raise Wrong(_("{name} are still on cpu: tensor.to(device) returns a moved copy and leaves the tensor "
                          "where it was — keep the copy, {name} = {name}.to(device)").format(name=name))


CHECKS = (
    Check(N_("pick_device chooses cuda, then mps, then cpu (4 faked situations)"), check_pick, ("pick_device",)),
    Check(N_("to_device moves the model, the images and the labels (to the meta device)"), check_move,
          ("to_device",)),
)

MISTAKES = (
    Mistake(N_("MPS never tried: the course's first cuda-or-cpu line"),
            "torch.backends.mps.is_built() and torch.backends.mps.is_available()", "False", "try MPS after CUDA"),
    Mistake(N_("the moved copy of a tensor thrown away"), "images = images.to(device)", "images.to(device)",
            "returns a moved copy"),
)
