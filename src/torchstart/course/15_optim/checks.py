"""Exercise 15 (optim): `sgd_step` against torch.optim.SGD, and `train_one_epoch` against the course's loop.

The loop runs on 256 embedded CIFAR-10 images through a small linear model, and its zero_grad() and step()
calls are counted, so a missing one is named, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import ModuleType

import torch
from torch import nn

from torchstart.course.kit import (
    Calls,
    Check,
    Forwards,
    Mistake,
    Wrong,
    cifar_sample,
    counting_calls,
    once_per_batch,
    seeded,
    standardised,
    watching,
)
from torchstart.i18n import N_, _

LR = 0.05
IMAGES, BATCH = 256, 64


@cache
def _data() -> tuple[torch.Tensor, torch.Tensor]:
    train = cifar_sample().train.subset(IMAGES, seed=15)
    return standardised(train), train.labels


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """4 batches of 64 standardised images, the same ones every time (fresh copies: the learner may change them)."""
    x, y = _data()
    return [(x[i:i + BATCH].clone(), y[i:i + BATCH].clone()) for i in range(0, IMAGES, BATCH)]


def _model() -> nn.Module:
    with seeded(15):
        return nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))


def check_sgd_step(ex: ModuleType) -> None:
    mine, ref = _model(), _model()
    x, y = _batches()[0]
    for model in (mine, ref):
        nn.CrossEntropyLoss()(model(x), y).backward()
    before = [p.detach().clone() for p in mine.parameters()]
    ex.sgd_step(list(mine.parameters()), LR)
    torch.optim.SGD(ref.parameters(), lr=LR).step()
    after, want = list(mine.parameters()), list(ref.parameters())
    if all(torch.equal(a, b) for a, b in zip(after, before)):
        raise Wrong(_("the parameters did not change: update each one in place, p -= lr * p.grad (p = p − … only "
                      "gives the name p to a new tensor)"))
    if all(torch.allclose(a, 2 * b - w) for a, b, w in zip(after, before, want)):
        raise Wrong(_("the parameters moved uphill: subtract lr · grad, do not add it"))
    if not all(torch.allclose(a, w, atol=1e-6) for a, w in zip(after, want)):
        raise Wrong(_("the parameters differ from torch.optim.SGD's after one step: p ← p − lr · p.grad"))


@dataclass
class Epoch:
    model: nn.Module  # trained by the learner's train_one_epoch
    calls: Calls
    forwards: Forwards  # the mode of each forward call: the model is handed over in eval mode
    result: object  # what it returned
    reference: nn.Module  # the same start trained by the course's loop
    mean_loss: float  # the course loop's mean batch loss


@cache  # the four checks of train_one_epoch look at one run
def _run_epoch(ex: ModuleType) -> Epoch:
    model, reference = _model(), _model()
    model.eval()  # as the test loop of the epoch before leaves it
    with counting_calls() as calls, watching(model) as forwards:
        result = ex.train_one_epoch(model, _batches(), nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), LR))
    optimizer, losses = torch.optim.SGD(reference.parameters(), lr=LR), []
    for x, y in _batches():  # the course's step
        loss = nn.CrossEntropyLoss()(reference(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return Epoch(model, calls, forwards, result, reference, sum(losses) / len(losses))


def check_calls(ex: ModuleType) -> None:
    once_per_batch(_run_epoch(ex).calls, len(_batches()))


def check_train_mode(ex: ModuleType) -> None:
    if _run_epoch(ex).forwards.in_train_mode < len(_batches()):
        raise Wrong(_("the model ran in eval mode (as a test loop leaves it): call model.train() at the start, so "
                      "Dropout and BatchNorm train"))


def check_weights(ex: ModuleType) -> None:
    epoch = _run_epoch(ex)
    if all(torch.equal(a, b) for a, b in zip(epoch.model.parameters(), _model().parameters())):
        raise Wrong(_("the weights did not change: zero_grad() comes before backward(), and step() after it"))
    if not all(torch.allclose(a, b, atol=1e-5) for a, b in zip(epoch.model.parameters(), epoch.reference.parameters())):
        raise Wrong(_("the weights differ from the course's loop: forward → loss → zero_grad → backward → step, "
                      "once per batch"))


def check_result(ex: ModuleType) -> None:
    epoch = _run_epoch(ex)
    result, mean = epoch.result, epoch.mean_loss
    if isinstance(result, torch.Tensor):
        raise Wrong(_("it returned a tensor: add loss.item() (a float) — adding the loss tensors keeps every "
                      "step's graph in memory"))
    if not isinstance(result, (int, float)):
        raise Wrong(_("it returned {kind}: return the mean of the batch losses, a float").format(
            kind=type(result).__name__))
    if abs(result - mean * len(_batches())) < 1e-4:
        raise Wrong(_("{got:.4f} is the sum of the batch losses: divide by the number of batches, "
                      "len(loader)").format(got=result))
    if abs(result - mean) > 1e-4:
        raise Wrong(_("it returned {got:.4f}, but the batch losses average {want:.4f}").format(got=result, want=mean))


CHECKS = (
    Check(N_("sgd_step does what torch.optim.SGD does: p ← p − lr · p.grad, in place"), check_sgd_step,
          ("sgd_step",)),
    Check(N_("train_one_epoch calls zero_grad() and step() once per batch"), check_calls, ("train_one_epoch",)),
    Check(N_("train_one_epoch switches the model to training mode, model.train()"), check_train_mode,
          ("train_one_epoch",)),
    Check(N_("after one epoch the weights equal the course's loop's"), check_weights, ("train_one_epoch",)),
    Check(N_("it returns the mean of the batch losses, as a float"), check_result, ("train_one_epoch",)),
)

MISTAKES = (
    Mistake(N_("a new tensor named p instead of an update in place"), "p -= lr * p.grad", "p = p - lr * p.grad",
            "did not change"),
    Mistake(N_("zero_grad() left out"), "        optimizer.zero_grad()  # gradients", "        # gradients",
            "optimizer.zero_grad() ran 0 times"),
    Mistake(N_("model.train() left out: a model left in eval mode trains without Dropout and BatchNorm"),
            "    model.train()\n", "", "call model.train()"),
    Mistake(N_("the loss tensors added up instead of loss.item()"), "total += loss.item()", "total += loss",
            "returned a tensor"),
)
