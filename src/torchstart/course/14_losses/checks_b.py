"""Exercise 14b (losses): stable_cross_entropy against nn.CrossEntropyLoss on scores where exp overflows — the
course's [0.1, 0.2, 0.3] shifted by 1000 — and on batches Hypothesis draws whose rows lie far apart."""

from __future__ import annotations

import math
from types import ModuleType

import torch
from hypothesis import strategies as st
from torch import nn

from torchstart.course.kit import Check, Mistake, Wrong, by_hand, generated, tensor_of, values
from torchstart.i18n import N_, _

FORBIDDEN = {"CrossEntropyLoss", "NLLLoss", "cross_entropy", "nll_loss", "log_softmax", "logsumexp", "softmax"}


def _value(got: object) -> float:
    got = tensor_of(got, "stable_cross_entropy")
    if got.numel() != 1:
        raise Wrong(_("stable_cross_entropy returned shape {shape}: a loss is one number — .mean() over the rows")
                    .format(shape=tuple(got.shape)))
    return float(got)


def _compare(ex: ModuleType, scores: torch.Tensor, targets: torch.Tensor) -> None:
    got, want = _value(ex.stable_cross_entropy(scores.clone(), targets.clone())), float(
        nn.CrossEntropyLoss()(scores, targets))
    if abs(got - want) <= 1e-3:
        return
    case = _("(scores {scores}, classes {targets})").format(scores=values(scores), targets=targets.tolist())
    if not math.isfinite(got) and len(scores) > 1 and scores.max(dim=1).values.unique().numel() > 1:
        raise Wrong(_("the loss is {got}: a row whose scores lie far below the batch's largest has every exp become "
                      "0 — subtract each row's own max, scores.max(dim=1, keepdim=True) {case}").format(
                          got=got, case=case))
    if not math.isfinite(got):
        raise Wrong(_("the loss is {got}: in float32 exp(1000) overflows to inf and exp(−1000) is 0 — subtract each "
                      "row's max before exp, and add it back after the log {case}").format(got=got, case=case))
    shift = float(scores.max(dim=1).values.mean())
    if abs(got - (want - shift)) <= 1e-3:
        raise Wrong(_("{got:.4f} differs from torch's {want:.4f} by the rows' max, {shift:g}: add the max back — "
                      "log Σ exp(x − m) + m {case}").format(got=got, shift=shift, want=want, case=case))
    raise Wrong(_("stable_cross_entropy gave {got:.4f}, torch {want:.4f}: each row's loss is −x[class] + m + "
                  "log Σ_j exp(x[j] − m), m the row's max, then the mean {case}").format(got=got, want=want, case=case))


def check_large(ex: ModuleType) -> None:
    _compare(ex, torch.tensor([[1000.1, 1000.2, 1000.3]]), torch.tensor([1]))  # the course's 1.1019, shifted


@st.composite
def _batches(draw) -> tuple[torch.Tensor, torch.Tensor]:
    """1–4 rows of 2–5 classes: small scores, each row shifted by −1000, 0 or 1000."""
    rows, classes = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    numbers = draw(st.lists(st.integers(-8, 8), min_size=rows * classes, max_size=rows * classes))
    shifts = draw(st.lists(st.sampled_from((-1000.0, 0.0, 1000.0)), min_size=rows, max_size=rows))
    targets = draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows))
    scores = torch.tensor(numbers, dtype=torch.float32).reshape(rows, classes) / 2 + torch.tensor(shifts)[:, None]
    return scores, torch.tensor(targets)


def check_generated(ex: ModuleType) -> None:
    generated(_batches(), lambda *case: _compare(ex, *case), examples=40)


def _probe(ex: ModuleType) -> None:
    ex.stable_cross_entropy(torch.ones(2, 3), torch.tensor([0, 1]))


CHECKS = (
    Check(N_("stable_cross_entropy equals nn.CrossEntropyLoss() for scores [1000.1, 1000.2, 1000.3], class 1: 1.1019"),
          check_large, ("stable_cross_entropy",)),
    Check(N_("stable_cross_entropy equals nn.CrossEntropyLoss() on 40 generated batches whose rows lie up to 2000 "
             "apart"), check_generated, ("stable_cross_entropy",)),
    Check(N_("stable_cross_entropy is written with tensor operations: no CrossEntropyLoss, log_softmax or logsumexp"),
          by_hand(FORBIDDEN, N_("the loss"), _probe), ("stable_cross_entropy",)),
)

MISTAKES = (
    Mistake(N_("exp of the scores themselves: overflow"), "torch.exp(scores - m)", "torch.exp(scores)", "overflows"),
    Mistake(N_("the batch's max instead of each row's"), "scores.max(dim=1, keepdim=True).values",
            "scores.max().reshape(1, 1)", "own max"),
    Mistake(N_("the max subtracted but not added back"), ".sum(dim=1)) + m.squeeze(1)", ".sum(dim=1))",
            "add the max back"),
    Mistake(N_("torch.logsumexp used instead of writing it"), "    rows = torch.arange(len(targets))\n",
            "    log_sum_exp = torch.logsumexp(scores, dim=1)\n    rows = torch.arange(len(targets))\n", "by hand"),
)
