"""Exercise 19 (pipeline): `evaluate` counts like the reference; `train` lifts a small CNN well above chance.

Both run on the embedded CIFAR-10 sample (2,000 training and 500 test images, standardised), with a small
CNN, so training three epochs takes seconds on a CPU. Calls to zero_grad() and step() are counted for the
hint, whatever optimiser the learner picks.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from torchstart.course.kit import Check, Mistake, Wrong, cifar_sample, counting_calls, seeded, standardised
from torchstart.i18n import N_, _

EPOCHS = 3
TARGET = 0.25  # test accuracy to reach: guessing gives 0.10; the course's SGD(lr=0.01) about 0.29, with momentum 0.38


@cache
def _data() -> tuple[TensorDataset, TensorDataset]:
    sample = cifar_sample()
    return (TensorDataset(standardised(sample.train), sample.train.labels),
            TensorDataset(standardised(sample.test), sample.test.labels))


def _model(seed: int = 19) -> nn.Module:
    with seeded(seed):
        # (B, 3, 32, 32) → average-pooled to 16×16 → 16 channels → max-pooled to 8×8 → 10 scores: quick on a CPU
        return nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(16 * 8 * 8, 10))


def _count(model: nn.Module, loader: DataLoader) -> tuple[int, int]:
    """The reference test loop."""
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += int((model(images).argmax(dim=1) == labels).sum())
            total += len(labels)
    return correct, total


def check_evaluate(ex: ModuleType) -> None:
    loader = DataLoader(_data()[1], batch_size=64)  # 500 images: 7 full batches and one of 52
    model = _model()
    want = _count(model, loader)
    try:
        got = ex.evaluate(model, loader)
    except RuntimeError as err:
        if "must match the size" not in str(err):
            raise
        raise Wrong(_("the predictions and the labels do not line up: take the argmax over the classes, dim=1 "
                      "(dim 0 is the batch)")) from None
    if not isinstance(got, tuple) or len(got) != 2:
        raise Wrong(_("evaluate returned {kind}: return (correct, total)").format(kind=type(got).__name__))
    correct, total = got
    if total == len(loader):
        raise Wrong(_("total is {got}, the number of batches: add each batch's number of images, "
                      "labels.size(0)").format(got=total))
    if (correct, total) != want:
        raise Wrong(_("evaluate gave ({correct}, {total}), the reference counts ({want_correct}, {want_total})").format(
            correct=correct, total=total, want_correct=want[0], want_total=want[1]))


def check_train(ex: ModuleType) -> None:
    train, test = _data()
    model = _model()
    with seeded(190), counting_calls() as calls:
        ex.train(model, DataLoader(train, batch_size=64, shuffle=True), EPOCHS)
    correct, total = _count(model, DataLoader(test, batch_size=256))
    accuracy = correct / total
    if accuracy >= TARGET:
        return
    if calls.steps == 0:
        raise Wrong(_("accuracy {accuracy:.0%}: the weights never changed — call optimizer.step() after "
                      "loss.backward()").format(accuracy=accuracy))
    if calls.zero_grads < calls.steps:
        raise Wrong(_("accuracy stays at {accuracy:.0%}: optimizer.step() ran {steps} times but zero_grad() only "
                      "{zero} — is optimizer.zero_grad() called every step?").format(
                          accuracy=accuracy, steps=calls.steps, zero=calls.zero_grads))
    raise Wrong(_("accuracy {accuracy:.0%} after {epochs} epochs, expected at least {target:.0%}: try SGD with "
                  "lr=0.01 and momentum=0.9, and the order forward → loss → zero_grad → backward → step").format(
                      accuracy=accuracy, epochs=EPOCHS, target=TARGET))


CHECKS = (
    Check(N_("evaluate counts the correct images like the reference (500 test images, batches of 64)"),
          check_evaluate, ("evaluate",)),
    Check(N_("train: 3 epochs on the 2,000 embedded images lift a small CNN to at least 25% test accuracy "
             "(guessing: 10%)"), check_train, ("train",)),
)

MISTAKES = (
    Mistake(N_("the number of batches counted instead of the images"), "total += labels.size(0)", "total += 1",
            "number of batches"),
    Mistake(N_("the argmax taken over the batch"), "argmax(dim=1)", "argmax(dim=0)", "dim=1"),
    Mistake(N_("zero_grad() left out"), "            optimizer.zero_grad()\n", "", "zero_grad() called every step"),
)
