"""Exercise 17 (save_load): `save_weights` writes a state_dict; `load_weights` gives a fresh model the same logits."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path
from types import ModuleType

import torch
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, learner_tree, seeded, tensor_of
from torchstart.i18n import N_, _
from torchstart.models import Tudui


def _models() -> tuple[nn.Module, nn.Module]:
    """The course model twice, with different random weights."""
    with seeded(17):
        first = Tudui()
    with seeded(71):
        second = Tudui()
    return first, second


def check_save(ex: ModuleType) -> None:
    model, _other = _models()
    path = Path("weights.pth").resolve()
    ex.save_weights(model, str(path))
    if not path.is_file():
        raise Wrong(_("save_weights wrote nothing at the path it was given"))
    try:
        saved = torch.load(path, weights_only=True)
    except pickle.UnpicklingError:
        raise Wrong(_("the file holds the whole pickled model, which torch.load refuses by default (it could run "
                      "code): save model.state_dict() instead")) from None
    if not isinstance(saved, dict) or list(saved) != list(model.state_dict()):
        raise Wrong(_("the file holds {kind}, not the model's state_dict (its keys model.0.weight, …): "
                      "torch.save(model.state_dict(), path)").format(kind=type(saved).__name__))


def _unsafe_loads(ex: ModuleType) -> list[int]:
    """The lines of the learner's file that pass weights_only=False (to torch.load): unpickling runs code."""
    return [node.lineno for node in ast.walk(learner_tree(ex)) if isinstance(node, ast.keyword)
            and node.arg == "weights_only" and isinstance(node.value, ast.Constant) and node.value.value is False]


def check_load(ex: ModuleType) -> None:
    model, fresh = _models()
    path = Path("reference.pth").resolve()
    torch.save(model.state_dict(), path)
    loaded = ex.load_weights(fresh, str(path))
    if not isinstance(loaded, nn.Module):
        raise Wrong(_("load_weights returned {kind}: return the model").format(kind=type(loaded).__name__))
    if loaded is not fresh:
        raise Wrong(_("load_weights returned a new model, not the one it was given: load the weights into model "
                      "itself and return it"))
    unsafe = _unsafe_loads(ex)
    if unsafe:
        raise Wrong(_("line {line} passes weights_only=False, so torch.load would run any code the file holds: a "
                      "state_dict needs only weights_only=True").format(line=unsafe[0]))
    with seeded(1):
        x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        same = torch.equal(tensor_of(loaded(x), _("the loaded model")), model(x))
    if not same:
        raise Wrong(_("the loaded model's logits differ from the saved one's: put the file's tensors into the "
                      "model, model.load_state_dict(torch.load(path))"))


CHECKS = (
    Check(N_("save_weights writes a state_dict that torch.load(…, weights_only=True) reads"), check_save,
          ("save_weights",)),
    Check(N_("load_weights gives a fresh model exactly the saved model's logits"), check_load, ("load_weights",)),
)

MISTAKES = (
    Mistake(N_("the whole model saved instead of its state_dict"), "torch.save(model.state_dict(), path)",
            "torch.save(model, path)", "whole pickled model"),
    Mistake(N_("the file read but never loaded into the model"),
            "model.load_state_dict(torch.load(path, weights_only=True))", "torch.load(path, weights_only=True)",
            "logits differ"),
    Mistake(N_("the weights loaded into a new model, not the one given"),
            "model.load_state_dict(torch.load(path, weights_only=True))\n    return model",
            "new = type(model)()\n    new.load_state_dict(torch.load(path, weights_only=True))\n    return new",
            "not the one it was given"),
    Mistake(N_("the file loaded with weights_only=False"), "torch.load(path, weights_only=True)",
            "torch.load(path, weights_only=False)", "weights_only=False"),
)
