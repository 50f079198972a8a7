"""Exercise 19 (pipeline): `evaluate` counts like the reference; `train` lifts a small CNN well above chance.

Both run on the embedded CIFAR-10 sample (2,000 training and 500 test images, standardised), with a small
CNN that has Dropout and BatchNorm — so a loop without model.eval() or model.train() gets other numbers — and
training three epochs takes seconds on a CPU. Whatever optimiser the learner picks, the calls to zero_grad() and
step() are counted and checked on every run (a loop without zero_grad() may still reach the accuracy), and every
forward call's mode (train/eval) and autograd state are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import ModuleType

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from torchstart.course import kit
from torchstart.course.kit import Check, Mistake, Wrong, cifar_sample, seeded, standardised
from torchstart.i18n import N_, _

EPOCHS = 3
TARGET = 0.25  # test accuracy to reach: guessing gives 0.10; the course's SGD(lr=0.01) about 0.29, with momentum 0.38


@cache
def _data() -> tuple[TensorDataset, TensorDataset]:
    sample = cifar_sample()
    return (TensorDataset(standardised(sample.train), sample.train.labels),
            TensorDataset(standardised(sample.test), sample.test.labels))


def _model(seed: int = 19) -> nn.Module:
    return kit.dropout_batchnorm_model(seed)  # with Dropout and BatchNorm: eval() and train() change the numbers


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
        with seeded(19):
            got = ex.evaluate(model.train(), loader)  # handed over in training mode, as after an epoch
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


def check_evaluation_mode(ex: ModuleType) -> None:
    model = _model().train()
    with seeded(19), kit.watching(model) as forwards:
        ex.evaluate(model, DataLoader(_data()[1], batch_size=250))
    kit.evaluation_mode(forwards, "evaluate")


@dataclass
class Training:
    model: nn.Module  # trained by the learner's train()
    calls: kit.Calls
    forwards: kit.Forwards
    batches: int  # in the whole run


@cache  # the three checks of train() look at one run
def _trained(ex: ModuleType) -> Training:
    loader = DataLoader(_data()[0], batch_size=64, shuffle=True)
    model = _model().eval()  # as evaluate() leaves it: train() must switch it back
    with seeded(190), kit.counting_calls() as calls, kit.watching(model) as forwards:
        ex.train(model, loader, EPOCHS)
    return Training(model, calls, forwards, EPOCHS * len(loader))


def check_calls(ex: ModuleType) -> None:
    run = _trained(ex)
    kit.once_per_batch(run.calls, run.batches)


def check_train_mode(ex: ModuleType) -> None:
    run = _trained(ex)
    if run.forwards.in_train_mode < run.batches:
        raise Wrong(_("{count} of {batches} training batches ran in eval mode: call model.train() at the start of "
                      "every epoch (evaluate leaves the model in eval mode)").format(
                          count=run.batches - run.forwards.in_train_mode, batches=run.batches))


def check_train(ex: ModuleType) -> None:
    correct, total = _count(_trained(ex).model, DataLoader(_data()[1], batch_size=256))
    accuracy = correct / total
    if accuracy >= TARGET:
        return
    raise Wrong(_("accuracy {accuracy:.0%} after {epochs} epochs, expected at least {target:.0%}: try SGD with "
                  "lr=0.01 and momentum=0.9, and the order forward → loss → zero_grad → backward → step").format(
                      accuracy=accuracy, epochs=EPOCHS, target=TARGET))


CHECKS = (
    Check(N_("evaluate runs the model in eval mode (it has Dropout and BatchNorm) and under torch.no_grad()"),
          check_evaluation_mode, ("evaluate",)),
    Check(N_("evaluate counts the correct images like the reference (500 test images, batches of 64)"),
          check_evaluate, ("evaluate",)),
    Check(N_("train calls zero_grad() and step() once per batch"), check_calls, ("train",)),
    Check(N_("train puts the model in training mode, model.train(), for every batch"), check_train_mode, ("train",)),
    Check(N_("train: 3 epochs on the 2,000 embedded images lift a small CNN to at least 25% test accuracy "
             "(guessing: 10%)"), check_train, ("train",)),
)

MISTAKES = (
    Mistake(N_("the number of batches counted instead of the images"), "total += labels.size(0)", "total += 1",
            "number of batches"),
    Mistake(N_("the argmax taken over the batch"), "argmax(dim=1)", "argmax(dim=0)", "dim=1"),
    Mistake(N_("zero_grad() left out (the accuracy may still reach the target)"),
            "            optimizer.zero_grad()\n", "", "zero_grad() ran 0 times"),
    Mistake(N_("model.eval() left out of evaluate"), "    model.eval()\n    correct", "    correct", "model.eval()"),
    Mistake(N_("evaluate without torch.no_grad()"), "    with torch.no_grad():\n        for images",
            "    if True:\n        for images", "torch.no_grad()"),
    Mistake(N_("model.train() left out: after evaluate the model stays in eval mode"), "        model.train()\n", "",
            "model.train()"),
)
