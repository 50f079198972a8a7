"""Exercise 14 (losses): L1, MSE and cross-entropy by hand, against nn's losses and the course's numbers."""

from __future__ import annotations

from types import ModuleType

import torch
from hypothesis import strategies as st
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, by_hand, generated, seeded, tensor_of
from torchstart.i18n import N_, _

PRED, TARGET = [1.0, 2.0, 3.0], [1.0, 2.0, 5.0]  # the chapter's example: L1 2/3, MSE 4/3
SCORES, CLASS = [[0.1, 0.2, 0.3]], [1]  # one sample, 3 classes: cross-entropy 1.1019


def _value(got: object, what: str) -> float:
    got = tensor_of(got, what)
    if got.numel() != 1:
        raise Wrong(_("{what} returned shape {shape}: a loss is one number — average over everything, .mean()")
                    .format(what=what, shape=tuple(got.shape)))
    return float(got)


def _pairs() -> list[tuple[torch.Tensor, torch.Tensor]]:
    with seeded(14):
        return [(torch.tensor(PRED), torch.tensor(TARGET)), (torch.randn(4, 5), torch.randn(4, 5))]


def _regression(ex: ModuleType, name: str, loss: nn.Module, square: bool) -> None:
    for pred, target in _pairs():
        got, want = _value(getattr(ex, name)(pred, target), name), float(loss(pred, target))
        if abs(got - want) <= 1e-5 * max(1.0, abs(want)):
            continue
        diff = pred - target
        if abs(got - float(diff.abs().sum() if not square else (diff ** 2).sum())) < 1e-5:
            raise Wrong(_("{name} gave {got:.4f}, the sum: the loss averages, .mean()").format(name=name, got=got))
        if abs(got - float(diff.mean() if not square else diff.abs().mean())) < 1e-5:
            advice = _("square the differences") if square else _("take the absolute value of the differences")
            raise Wrong(_("{name} gave {got:.4f}, expected {want:.4f}: {advice}").format(
                name=name, got=got, want=want, advice=advice))
        raise Wrong(_("{name} gave {got:.4f}, expected {want:.4f}").format(name=name, got=got, want=want))


def check_l1(ex: ModuleType) -> None:
    _regression(ex, "l1_loss", nn.L1Loss(), square=False)


def check_mse(ex: ModuleType) -> None:
    _regression(ex, "mse_loss", nn.MSELoss(), square=True)


def check_cross_entropy(ex: ModuleType) -> None:
    with seeded(15):
        cases = [(torch.tensor(SCORES), torch.tensor(CLASS)), (torch.randn(4, 10) * 2, torch.tensor([3, 0, 9, 3]))]
    for scores, targets in cases:
        got = _value(ex.cross_entropy(scores.clone(), targets.clone()), "cross_entropy")
        want = float(nn.CrossEntropyLoss()(scores, targets))
        if abs(got - want) <= 1e-5:
            continue
        if abs(got - want * len(targets)) < 1e-4:
            raise Wrong(_("your loss is {n}× torch's, the sum over the batch: CrossEntropyLoss averages, "
                          ".mean()").format(n=len(targets)))
        if abs(got - float(-scores[torch.arange(len(targets)), targets].mean())) < 1e-5:
            raise Wrong(_("−x[class] alone is not the loss: add log Σ_j exp(x[j]) of the same row"))
        raise Wrong(_("cross_entropy gave {got:.4f}, torch {want:.4f}: the loss of a sample is −x[class] + "
                      "log Σ_j exp(x[j])").format(got=got, want=want))


@st.composite
def _batches(draw) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores (N, C) of N = 1–6 samples and C = 2–6 classes, values −5…5 in quarters, and a class for each row."""
    rows, classes = draw(st.integers(1, 6)), draw(st.integers(2, 6))
    numbers = draw(st.lists(st.integers(-20, 20), min_size=rows * classes, max_size=rows * classes))
    targets = draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows))
    return torch.tensor(numbers, dtype=torch.float32).reshape(rows, classes) / 4, torch.tensor(targets)


def _generated_case(ex: ModuleType, scores: torch.Tensor, targets: torch.Tensor) -> None:
    got = _value(ex.cross_entropy(scores.clone(), targets.clone()), "cross_entropy")
    want = float(nn.CrossEntropyLoss()(scores, targets))
    if abs(got - want) > 1e-4:
        raise Wrong(_("for scores {scores} and classes {targets} cross_entropy gave {got:.4f}, torch {want:.4f}: "
                      "each row's loss is −x[class] + log Σ_j exp(x[j]), then the mean over the rows").format(
                          scores=scores.tolist(), targets=targets.tolist(), got=got, want=want))


def check_generated(ex: ModuleType) -> None:
    generated(_batches(), lambda *case: _generated_case(ex, *case), examples=40)


def _probe(ex: ModuleType) -> None:
    ones = torch.ones(2, 3)
    ex.l1_loss(ones, ones), ex.mse_loss(ones, ones), ex.cross_entropy(ones, torch.tensor([0, 1]))


CHECKS = (
    Check(N_("l1_loss equals nn.L1Loss(): 0.6667 on the course's example"), check_l1, ("l1_loss",)),
    Check(N_("mse_loss equals nn.MSELoss(): 1.3333 on the course's example"), check_mse, ("mse_loss",)),
    Check(N_("cross_entropy equals nn.CrossEntropyLoss(): 1.1019 for scores [0.1, 0.2, 0.3], class 1, and on "
             "a batch"), check_cross_entropy, ("cross_entropy",)),
    Check(N_("cross_entropy equals nn.CrossEntropyLoss() on 40 generated batches (1–6 rows, 2–6 classes)"),
          check_generated, ("cross_entropy",)),
    Check(N_("the three losses are written with tensor operations: no nn.*Loss, F.cross_entropy or log_softmax"),
          by_hand({"L1Loss", "MSELoss", "CrossEntropyLoss", "NLLLoss", "l1_loss", "mse_loss", "cross_entropy",
                   "nll_loss", "log_softmax", "logsumexp", "softmax"}, N_("the loss"), _probe),
          ("l1_loss", "mse_loss", "cross_entropy")),
)

MISTAKES = (
    Mistake(N_("F.cross_entropy called instead of the formula"), "    rows = torch.arange(len(targets))",
            "    return torch.nn.functional.cross_entropy(scores, targets)", "by hand"),
    Mistake(N_("cross-entropy fitted to one sample: only the first row's loss"), "scores[rows, targets]",
            "scores[0, targets[0]]", "then the mean over the rows"),
    Mistake(N_("no absolute value in L1"), "(pred - target).abs().mean()", "(pred - target).mean()",
            "absolute value"),
    Mistake(N_("the sum instead of the mean"), "((pred - target) ** 2).mean()", "((pred - target) ** 2).sum()",
            "the sum"),
    Mistake(N_("cross-entropy summed over the batch"), "+ log_sum_exp).mean()", "+ log_sum_exp).sum()",
            "sum over the batch"),
    Mistake(N_("cross-entropy without log Σ exp"), "(-scores[rows, targets] + log_sum_exp)",
            "(-scores[rows, targets])", "add log Σ_j exp"),
)
