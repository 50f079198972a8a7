"""Exercise 13 (sequential): the course model built with nn.Sequential — (64, 10) out, 145,578 parameters."""

from __future__ import annotations

from types import ModuleType

import torch
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, close, seeded, shape, tensor_of
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
    model = _model(ex)
    try:
        got = tensor_of(model(torch.ones(64, 3, 32, 32)), _("your model"))
    except RuntimeError:
        if not any(isinstance(m, nn.Flatten) for m in model.modules()):
            raise Wrong(_("there is no nn.Flatten, so nn.Linear(1024, 64) gets (64, 64, 4, 4) images, not rows of "
                          "1024: put nn.Flatten() before it")) from None
        raise
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


def check_same_layers(ex: ModuleType) -> None:
    model, course = _model(ex), Tudui()
    leaves = [m for m in model.modules() if not list(m.children())]
    if leaves and not isinstance(leaves[-1], nn.Linear):
        raise Wrong(_("the model ends with {name} after the last Linear: the 10 scores are that Linear's output, "
                      "negative ones too — CrossEntropyLoss takes them as they are").format(
                          name=type(leaves[-1]).__name__))
    mine, theirs = list(model.parameters()), list(course.parameters())
    if [p.shape for p in mine] != [p.shape for p in theirs]:
        raise Wrong(_("your layers' weights, in order, are {got}; the course's {want}").format(
            got=", ".join(shape(p) for p in mine), want=", ".join(shape(p) for p in theirs)))
    with torch.no_grad():
        for p, q in zip(mine, theirs):
            p.copy_(q)
        with seeded(13):
            x = torch.randn(4, 3, 32, 32)
        same = close(model(x), course(x))
    if not same:
        raise Wrong(_("with the course's weights in your layers the logits differ: a layer is in another order "
                      "or one is extra (the course's model has no activation) — three times Conv2d then MaxPool2d, "
                      "then Flatten, Linear, Linear"))


CHECKS = (
    Check(N_("build_model() is built with nn.Sequential"), check_sequential, ("build_model",)),
    Check(N_("a (64, 3, 32, 32) batch gives (64, 10)"), check_output, ("build_model",)),
    Check(N_("145,578 parameters, as the course's model"), check_parameters, ("build_model",)),
    Check(N_("with the course's weights it computes the course's logits"), check_same_layers, ("build_model",)),
)

MISTAKES = (
    Mistake(N_("convolutions without padding"), "5, padding=2)", "5)", "keep the size"),
    Mistake(N_("the last Linear layer left out"), "nn.Linear(64, 10),  # (N, 10)", "# (N, 10)", "nn.Linear(64, 10)"),
    Mistake(N_("a Linear layer with the wrong number of inputs"), "nn.Linear(1024, 64)", "nn.Linear(64 * 8 * 8, 64)",
            "built for 4096"),
    Mistake(N_("nn.Flatten left out"), "nn.Flatten(),  # (N, 1024)", "# (N, 1024)", "no nn.Flatten"),
    Mistake(N_("a ReLU after the last Linear layer"), "nn.Linear(64, 10),  # (N, 10)",
            "nn.Linear(64, 10),\n        nn.ReLU(),  # (N, 10)", "ends with ReLU"),
    Mistake(N_("a pooling layer before its convolution"),
            "nn.Conv2d(3, 32, 5, padding=2),  # (N, 32, 32, 32): padding 2 keeps 32×32 with a 5×5 kernel\n"
            "        nn.MaxPool2d(2),", "nn.MaxPool2d(2),\n        nn.Conv2d(3, 32, 5, padding=2),",
            "another order"),
)
