"""Exercise 11 (activations): `relu`, `sigmoid` and `softmax` by hand, against torch's own, on the course's input."""

from __future__ import annotations

from types import ModuleType

import torch

from torchstart.course.kit import Check, Mistake, Wrong, by_hand, close, seeded, shape, tensor_of, values
from torchstart.i18n import N_, _

COURSE = [[1.0, -0.5], [-1.0, 3.0]]  # the chapter's 2×2 input


def _inputs() -> list[torch.Tensor]:
    with seeded(11):
        return [torch.tensor(COURSE), torch.randn(3, 5) * 3]


def check_relu(ex: ModuleType) -> None:
    for x in _inputs():
        got = tensor_of(ex.relu(x.clone()), "relu")
        if close(got, torch.relu(x)):
            continue
        if close(got, x.clamp(max=0)):
            raise Wrong(_("you kept the negative numbers and zeroed the positive ones: ReLU keeps x where x > 0 and "
                          "gives 0 elsewhere"))
        raise Wrong(_("relu({x}) is {got}, expected {want}").format(x=values(x), got=values(got),
                                                                  want=values(torch.relu(x))))


def check_sigmoid(ex: ModuleType) -> None:
    for x in _inputs():
        got = tensor_of(ex.sigmoid(x.clone()), "sigmoid")
        if close(got, torch.sigmoid(x)):
            continue
        if close(got, torch.sigmoid(-x)):
            raise Wrong(_("your sigmoid falls as x grows: it is 1 / (1 + e^(−x)), with the minus sign"))
        raise Wrong(_("sigmoid({x}) is {got}, expected {want}").format(x=values(x), got=values(got),
                                                                     want=values(torch.sigmoid(x))))


def check_softmax(ex: ModuleType) -> None:
    for x in _inputs():
        for dim in (1, 0):
            got = tensor_of(ex.softmax(x.clone(), dim), "softmax")
            want = torch.softmax(x, dim=dim)
            if tuple(got.shape) != tuple(want.shape):
                raise Wrong(_("softmax(x, dim={dim}) has shape {got}, expected {want}: sum with keepdim=True, so the "
                              "sums line up with x").format(dim=dim, got=shape(got), want=shape(want)))
            if close(got, want):
                continue
            if abs(float(got.sum()) - 1) < 1e-4:
                raise Wrong(_("all values together add up to 1: with dim={dim} each slice along dim must add up "
                              "to 1 — sum(dim=dim, keepdim=True)").format(dim=dim))
            raise Wrong(_("softmax(x, dim={dim}) differs from torch.softmax by up to {diff:.3g}").format(
                dim=dim, diff=float((got - want).abs().max())))


def check_large(ex: ModuleType) -> None:
    x = torch.tensor([[1000.0, 1001.0], [-1000.0, -1002.0]])
    got = tensor_of(ex.softmax(x.clone(), 1), "softmax")
    if not torch.isfinite(got).all():
        raise Wrong(_("softmax of [[1000, 1001]] gives {got}: e^1000 overflows — subtract each row's largest value "
                      "before exp (the result is the same)").format(got=values(got)))
    if not close(got, torch.softmax(x, dim=1)):
        raise Wrong(_("softmax of [[1000, 1001], [-1000, -1002]] is {got}, expected {want}").format(
            got=values(got), want=values(torch.softmax(x, dim=1))))


def _probe(ex: ModuleType) -> None:
    ex.relu(torch.ones(2)), ex.sigmoid(torch.ones(2)), ex.softmax(torch.ones(2, 2), 1)


CHECKS = (
    Check(N_("relu equals torch.relu on [[1, -0.5], [-1, 3]] and a random input"), check_relu, ("relu",)),
    Check(N_("sigmoid equals torch.sigmoid on the same inputs"), check_sigmoid, ("sigmoid",)),
    Check(N_("softmax equals torch.softmax along dim 1 and dim 0"), check_softmax, ("softmax",)),
    Check(N_("softmax stays finite for scores near 1000"), check_large, ("softmax",)),
    Check(N_("all three are written with tensor operations: no torch.relu, torch.sigmoid or torch.softmax"),
          by_hand({"relu", "relu_", "sigmoid", "sigmoid_", "softmax", "log_softmax", "expit", "ReLU", "Sigmoid",
                   "Softmax"}, N_("the activation"), _probe), ("relu", "sigmoid", "softmax")),
)

MISTAKES = (
    Mistake(N_("torch.sigmoid called instead of the formula"), "1 / (1 + torch.exp(-x))", "torch.sigmoid(x)",
            "by hand"),
    Mistake(N_("the sign of the clamp the wrong way round"), "x.clamp(min=0)", "x.clamp(max=0)", "ReLU keeps x"),
    Mistake(N_("e^x instead of e^(−x) in the sigmoid"), "torch.exp(-x)", "torch.exp(x)", "minus sign"),
    Mistake(N_("the sum over every value instead of along dim"), "e / e.sum(dim=dim, keepdim=True)", "e / e.sum()",
            "each slice along dim"),
    Mistake(N_("no subtraction of the largest value before exp"), "torch.exp(x - x.amax(dim=dim, keepdim=True))",
            "torch.exp(x)", "overflows"),
)
