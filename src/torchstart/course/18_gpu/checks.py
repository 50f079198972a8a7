"""Exercise 18 (gpu): `pick_device` in faked situations (CUDA, only MPS, neither), `to_device` with the meta device.

torch's own answers are swapped for the duration of one call, so every branch is checked on any machine;
"meta" is a device every torch has (tensors with a shape and no memory), so moving can be checked anywhere.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import torch
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, learner_tree
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


@contextmanager
def moves_seen() -> Iterator[list[torch.Tensor]]:
    """Every tensor whose .to() is called inside the block (Tensor.to wrapped for its duration)."""
    seen, original = [], torch.Tensor.to

    def to(self, *args, **kwargs):
        seen.append(self)
        return original(self, *args, **kwargs)

    torch.Tensor.to = to
    try:
        yield seen
    finally:
        torch.Tensor.to = original


def _cuda_calls(ex: ModuleType) -> list[int]:
    """The lines of the learner's file that call .cuda(): a fixed device, which fails where there is no CUDA."""
    return [node.lineno for node in ast.walk(learner_tree(ex)) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "cuda"]


def check_move(ex: ModuleType) -> None:
    cuda = _cuda_calls(ex)
    if cuda:
        raise Wrong(_("line {line} calls .cuda(): that ignores the device given and fails on a machine without "
                      "CUDA — use .to(device)").format(line=cuda[0]))
    model, images, labels = nn.Linear(3, 2), torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)
    with moves_seen() as seen:
        got = ex.to_device(model, images, labels, torch.device("meta"))
    if not isinstance(got, tuple) or len(got) != 3:
        raise Wrong(_("to_device returned {kind}: return (model, images, labels)").format(kind=type(got).__name__))
    moved_model, moved_images, moved_labels = got
    if next(moved_model.parameters()).device.type != "meta":
        raise Wrong(_("the model is still on cpu: model.to(device)"))
    for name, given, tensor in (("images", images, moved_images), ("labels", labels, moved_labels)):
        if isinstance(tensor, torch.Tensor) and tensor.device.type == "meta":
            continue
        if not any(t is given for t in seen):
            raise Wrong(_("{name} were never moved: the loss needs the model's output and {name} on one device — "
                          "{name} = {name}.to(device)").format(name=name))
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
    Mistake(N_("the labels left where they were"), "labels = labels.to(device)", "labels = labels",
            "labels were never moved"),
    Mistake(N_(".cuda() instead of .to(device)"), "images = images.to(device)", "images = images.cuda()",
            "calls .cuda()"),
)
