"""Exercise 20b (predict): top_k against softmax + topk — on the CIFAR-10 sample with a model that has Dropout and
BatchNorm (watched for eval mode and no_grad), then on models, batches and k Hypothesis draws."""

from __future__ import annotations

from types import ModuleType

import torch
from hypothesis import strategies as st
from torch import nn

from torchstart.course import kit
from torchstart.course.kit import Check, Mistake, Wrong, cifar_sample, generated, seeded, standardised
from torchstart.data import CIFAR10_CLASSES
from torchstart.i18n import N_, _


def _rows(got: object, images: int, k: int) -> list[list[tuple[str, float]]]:
    if not isinstance(got, (list, tuple)) or len(got) != images:
        raise Wrong(_("top_k returned {kind} of length {length}: return one list per image ({images})").format(
            kind=type(got).__name__, length=len(got) if hasattr(got, "__len__") else "?", images=images))
    rows = [list(row) for row in got]
    if any(len(row) != k for row in rows):
        raise Wrong(_("each image's list should hold k = {k} pairs (class name, probability)").format(k=k))
    return rows


def _near(rows: list[list[tuple[str, float]]], want: torch.Tensor, classes: list[str], largest: bool = True) -> bool:
    """True when `rows` are the classes and probabilities `want` (N, classes) gives, highest first (largest=False:
    the lowest, lowest first)."""
    values, indices = want.topk(len(rows[0]), dim=1, largest=largest)
    return all([name for name, _p in row] == [classes[i] for i in index.tolist()]
               and all(abs(float(p) - v) <= 1e-4 for (_name, p), v in zip(row, value.tolist()))
               for row, index, value in zip(rows, indices, values))


def _compare(ex: ModuleType, model: nn.Module, batch: torch.Tensor, classes: list[str], k: int) -> None:
    with torch.no_grad():
        scores = model.eval()(batch)
    rows = _rows(ex.top_k(model, batch.clone(), classes, k), len(batch), k)
    case = _("({images} images, {count} classes, k={k})").format(images=len(batch), count=len(classes), k=k)
    if _near(rows, scores.softmax(dim=1), classes):
        return
    if _near(rows, scores, classes):
        raise Wrong(_("those are the model's scores, not probabilities: softmax(dim=1) turns each image's scores "
                      "into probabilities that sum to 1 {case}").format(case=case))
    if len(batch) > 1 and _near(rows, scores.softmax(dim=0), classes):
        raise Wrong(_("softmax over dim=0 mixes the images: dim=1, each image's row of scores {case}").format(
            case=case))
    if _near(rows, scores.softmax(dim=1), classes, largest=False):
        raise Wrong(_("those are the k least likely classes: topk(k, dim=1) gives the most likely, highest first "
                      "{case}").format(case=case))
    if _near([row[::-1] for row in rows], scores.softmax(dim=1), classes):
        raise Wrong(_("the pairs go from the lowest to the highest: the most likely class first {case}").format(
            case=case))
    raise Wrong(_("the classes or probabilities differ from softmax(dim=1) then topk(k) {case}").format(case=case))


def check_sample(ex: ModuleType) -> None:
    model = kit.dropout_batchnorm_model(20).eval()
    batch = standardised(cifar_sample().test)[:8]
    with seeded(200), kit.watching(model) as forwards:
        ex.top_k(model.train(), batch.clone(), list(CIFAR10_CLASSES), 3)  # as training leaves it: top_k must switch
    kit.evaluation_mode(forwards, "top_k")
    _compare(ex, model, batch, list(CIFAR10_CLASSES), 3)


@st.composite
def _cases(draw) -> tuple[nn.Module, torch.Tensor, list[str], int]:
    """A linear model of 2–5 features and 2–6 classes, a batch of 1–4 inputs, and a k up to the classes."""
    features, count, images = draw(st.integers(2, 5)), draw(st.integers(2, 6)), draw(st.integers(1, 4))
    with seeded(draw(st.integers(0, 99))):
        model, batch = nn.Linear(features, count), 3 * torch.randn(images, features)
    return model, batch, [f"class{i}" for i in range(count)], draw(st.integers(1, count))


def check_generated(ex: ModuleType) -> None:
    generated(_cases(), lambda *case: _compare(ex, *case), examples=30)


CHECKS = (
    Check(N_("top_k on 8 CIFAR-10 test images, k=3: eval mode, no_grad, softmax probabilities, highest first"),
          check_sample, ("top_k",)),
    Check(N_("top_k equals softmax(dim=1) then topk(k) on 30 generated models, batches and k"), check_generated,
          ("top_k",)),
)

MISTAKES = (
    Mistake(N_("the scores returned, not softmax probabilities"), "model(batch).softmax(dim=1)", "model(batch)",
            "not probabilities"),
    Mistake(N_("softmax over the batch (dim=0)"), "model(batch).softmax(dim=1)", "model(batch).softmax(dim=0)",
            "dim=0 mixes the images"),
    Mistake(N_("the least likely classes (largest=False)"), "probabilities.topk(k, dim=1)",
            "probabilities.topk(k, dim=1, largest=False)", "least likely classes"),
    Mistake(N_("model.eval() left out"), "    model.eval()\n", "", "call model.eval()"),
    Mistake(N_("no torch.no_grad()"), "    with torch.no_grad():\n        probabilities",
            "    if True:\n        probabilities", "torch.no_grad()"),
)
