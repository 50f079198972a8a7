"""Exercise 19b (pipeline): train_one_epoch against a reference epoch run on a copy of the same model — the loss it
reports (per image, a float) and the parameters it leaves — on data sets and batch sizes Hypothesis draws, whose
last batch is often smaller; and the calls and the mode of every batch, on a model with Dropout."""

from __future__ import annotations

import copy
from types import ModuleType

import torch
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from torchstart.course import kit
from torchstart.course.kit import Check, Mistake, Wrong, generated, seeded
from torchstart.i18n import N_, _

LR = 0.1


def _setup(images: int, batch: int, seed: int) -> tuple[nn.Module, DataLoader]:
    """A small classifier (4 features → 3 classes) and a loader over `images` random samples, in order."""
    with seeded(seed):
        model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
        data = TensorDataset(torch.randn(images, 4), torch.randint(0, 3, (images,)))
    return model, DataLoader(data, batch_size=batch)


def _reference(model: nn.Module, loader: DataLoader) -> tuple[float, list[float]]:
    """(the loss per image, the batches' mean losses) of one epoch of plain SGD on `model`."""
    loss_fn, optimizer = nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=LR)
    means, total = [], 0.0
    for images, labels in loader:
        loss = loss_fn(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        means.append(loss.item())
        total += loss.item() * len(labels)
    return total / len(loader.dataset), means


def _loss_hint(got: object, want: float, means: list[float], case: str) -> str | None:
    """Why the reported loss is wrong, or None when it is right."""
    if isinstance(got, torch.Tensor):
        return _("train_one_epoch returned a tensor: return a number — add loss.item() up, not loss itself, which "
                 "keeps every batch's graph in memory {case}").format(case=case)
    if not isinstance(got, (int, float)):
        return _("train_one_epoch returned {kind}: return the loss per image as a float {case}").format(
            kind=type(got).__name__, case=case)
    if abs(got - want) <= 1e-4 * max(1.0, abs(want)):
        return None
    if abs(got - sum(means) / len(means)) <= 1e-5:
        return _("{got:.4f} is the mean of the batches' mean losses, the loss per image is {want:.4f}: the last batch "
                 "is smaller — add loss.item() × the batch's size up and divide by the number of images {case}").format(
                     got=got, want=want, case=case)
    if abs(got - sum(means)) <= 1e-5:
        return _("{got:.4f} is the sum of the batches' losses, the loss per image is {want:.4f}: divide by the number "
                 "of images {case}").format(got=got, want=want, case=case)
    return _("the loss per image is {got:.4f}, the reference gives {want:.4f}: the order is forward → loss → "
             "zero_grad → backward → step, and the loss is each batch's loss.item() × its size, summed, divided by "
             "the number of images {case}").format(got=got, want=want, case=case)


def _compare(ex: ModuleType, images: int, batch: int, seed: int) -> None:
    model, loader = _setup(images, batch, seed)
    mine = copy.deepcopy(model)
    want, means = _reference(model, loader)
    before = [p.detach().clone() for p in mine.parameters()]
    got = ex.train_one_epoch(mine, loader, nn.CrossEntropyLoss(), torch.optim.SGD(mine.parameters(), lr=LR))
    case = _("({images} images in batches of {batch})").format(images=images, batch=batch)
    after = list(mine.parameters())
    if all(torch.equal(a, b) for a, b in zip(after, before)):
        raise Wrong(_("the parameters did not change: does optimizer.step() run after loss.backward(), with no "
                      "zero_grad() between them? {case}").format(case=case))
    hint = _loss_hint(got, want, means, case)
    if hint:
        raise Wrong(hint)
    if not all(kit.close(a, b) for a, b in zip(after, model.parameters())):
        raise Wrong(_("the parameters after the epoch differ from the reference's: one SGD step per batch, in the "
                      "order zero_grad → backward → step {case}").format(case=case))


@st.composite
def _sizes(draw) -> tuple[int, int, int]:
    """(images, batch size, seed): often a last batch smaller than the others."""
    return draw(st.integers(1, 12)), draw(st.integers(1, 5)), draw(st.integers(0, 99))


def check_loss(ex: ModuleType) -> None:
    _compare(ex, 10, 4, 19)  # batches of 4, 4 and 2
    generated(_sizes(), lambda *case: _compare(ex, *case), examples=20)


def check_batches(ex: ModuleType) -> None:
    with seeded(191):
        model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.ReLU(), nn.Linear(8, 3)).eval()
        data = TensorDataset(torch.randn(20, 4), torch.randint(0, 3, (20,)))
    loader = DataLoader(data, batch_size=8)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    with seeded(192), kit.counting_calls() as calls, kit.watching(model) as forwards:
        ex.train_one_epoch(model, loader, nn.CrossEntropyLoss(), optimizer)
    kit.once_per_batch(calls, len(loader))
    if forwards.in_train_mode < len(forwards.calls):
        raise Wrong(_("{count} of {batches} batches ran in eval mode: call model.train() first — the model may come "
                      "from an evaluation, which left it in eval mode").format(
                          count=len(forwards.calls) - forwards.in_train_mode, batches=len(forwards.calls)))


CHECKS = (
    Check(N_("train_one_epoch returns the loss per image as a float, and trains like the reference (21 data sets, "
             "batch sizes that leave a smaller last batch)"), check_loss, ("train_one_epoch",)),
    Check(N_("train_one_epoch calls zero_grad() and step() once per batch, in training mode"), check_batches,
          ("train_one_epoch",)),
)

MISTAKES = (
    Mistake(N_("the loss tensor added up, not loss.item()"), "total += loss.item() * labels.size(0)",
            "total += loss * labels.size(0)", "returned a tensor"),
    Mistake(N_("the mean of the batches' means, wrong when the last batch is smaller"),
            "loss.item() * labels.size(0)  # .item(): a number, not the graph; × size: the batch's sum\n"
            "        images_seen += labels.size(0)", "loss.item()\n        images_seen += 1",
            "the last batch is smaller"),
    Mistake(N_("zero_grad() between backward() and step(): nothing is learnt"),
            "        optimizer.zero_grad()\n        loss.backward()\n",
            "        loss.backward()\n        optimizer.zero_grad()\n", "did not change"),
    Mistake(N_("zero_grad() left out"), "        optimizer.zero_grad()\n", "", "zero_grad() ran"),
    Mistake(N_("model.train() left out: a model that was evaluated stays in eval mode"), "    model.train()\n", "",
            "call model.train() first"),
)
