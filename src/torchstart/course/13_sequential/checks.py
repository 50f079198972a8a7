"""Exercise 13 (sequential): the course model built with nn.Sequential — (64, 10) out, 145,578 parameters."""

from __future__ import annotations

from types import ModuleType

import torch
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, seeded, shape, tensor_of
from torchstart.i18n import N_, _
from torchstart.models import Tudui, count_parameters


def _model(ex: ModuleType) -> nn.Module:
    with seeded(13):
        model = ex.build_model()
    if not isinstance(model, nn.Module):
        raise Wrong(_("build_model() returned {kind}: return the network, an nn.Module").format(
            kind=type(model).__name__))
    return model


def check_sequential(ex: ModuleType) -> None:
    if not any(isinstance(m, nn.Sequential) for m in _model(ex).modules()):
        raise Wrong(_("there is no nn.Sequential in your model: put the layers in one nn.Sequential(…)"))


def check_output(ex: ModuleType) -> None:
    got = tensor_of(_model(ex)(torch.ones(64, 3, 32, 32)), _("your model"))
    if tuple(got.shape) == (64, 10):
        return
    if got.dim() == 2 and got.shape[0] == 64:
        raise Wrong(_("the output is {got}: one score per class means 10 columns — end with nn.Linear(64, 10)").format(
            got=shape(got)))
    raise Wrong(_("the output is {got}, expected (64, 10)").format(got=shape(got)))


def check_parameters(ex: ModuleType) -> None:
    got, want = count_parameters(_model(ex)), count_parameters(Tudui())
    if got != want:
        raise Wrong(_("your model has {got:,} parameters, the course's {want:,}: compare each layer with the "
                      "chapter's (torchstart lesson 13 lists them with their counts)").format(got=got, want=want))


CHECKS = (
    Check(N_("build_model() is built with nn.Sequential"), check_sequential, ("build_model",)),
    Check(N_("a (64, 3, 32, 32) batch gives (64, 10)"), check_output, ("build_model",)),
    Check(N_("145,578 parameters, as the course's model"), check_parameters, ("build_model",)),
)

MISTAKES = (
    Mistake(N_("convolutions without padding"), "5, padding=2)", "5)", "keep the size"),
    Mistake(N_("the last Linear layer left out"), "nn.Linear(64, 10),  # (N, 10)", "# (N, 10)", "nn.Linear(64, 10)"),
    Mistake(N_("a Linear layer with the wrong number of inputs"), "nn.Linear(1024, 64)", "nn.Linear(64 * 8 * 8, 64)",
            "built for 4096"),
)
