"""Lesson 14 — loss functions (课程第十四章：损失函数).

中文：损失函数衡量预测和真实值差多少。本课在课程的小例子上算 `nn.L1Loss`、`nn.MSELoss`、`nn.CrossEntropyLoss`，
每个都配一个用 `math` 手写的公式，两边数值一致。然后像课程那样，把课程模型在一批 CIFAR-10 图像上的交叉熵
`backward()`，看到每个参数都有了梯度（第一层卷积的梯度形状是 (32, 3, 5, 5)）——优化器（第 15 课）靠的就是这些梯度。

English: a loss measures how far the predictions are from the truth. This lesson computes `nn.L1Loss`,
`nn.MSELoss` and `nn.CrossEntropyLoss` on the course's small examples, each next to its formula written by
hand with `math`, and the two agree. Then, as in the course, it calls `backward()` on the course model's
cross-entropy for one CIFAR-10 batch and finds a gradient on every parameter (the first conv's has shape
(32, 3, 5, 5)) — the gradients the optimiser of lesson 15 uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data import CifarDataset, find_cifar10
from ..i18n import _
from ..models import Tudui
from .runner import lesson_main

PREDICTIONS = [1.0, 2.0, 3.0]
TARGETS = [1.0, 2.0, 5.0]
SCORES = [0.1, 0.2, 0.3]  # one sample's raw scores (logits) for 3 classes
TARGET_CLASS = 1
CONFIDENT = [0.0, 10.0, 0.0]  # scores of a model that is sure, and right, that the class is 1
BATCH_SIZE = 64
SEED = 0


@dataclass
class LossCheck:
    name: str
    formula: str
    torch_value: float
    by_hand: float


@dataclass
class BackwardCheck:
    batch_shape: tuple[int, ...]  # (64, 3, 32, 32)
    loss: float  # ≈ ln 10 = 2.303 for an untrained 10-class model: it guesses about 1/10 for every class
    grad_before_backward: bool  # whether conv1.weight had a .grad before backward(): no
    conv1_grad_shape: tuple[int, ...]  # (32, 3, 5, 5), the same shape as the weight
    conv1_grad_norm: float
    params_with_grad: int  # parameters whose .grad is set and not all zeros
    params_total: int


@dataclass
class Result:
    losses: list[LossCheck]
    # CrossEntropyLoss applies log-softmax itself; feeding it probabilities softmaxes twice. On CONFIDENT the
    # right loss is ≈ 0, the doubled one stays > 0.55 however sure the model gets, so training keeps pushing.
    confident_ce: float
    confident_ce_after_softmax: float
    integer_error: str  # L1Loss on int64 tensors
    backward: BackwardCheck


def l1_by_hand(pred: list[float], target: list[float], reduction: str = "mean") -> float:
    total = sum(abs(p - t) for p, t in zip(pred, target))
    return total / len(pred) if reduction == "mean" else total


def mse_by_hand(pred: list[float], target: list[float]) -> float:
    return sum((p - t) ** 2 for p, t in zip(pred, target)) / len(pred)


def cross_entropy_by_hand(scores: list[float], target: int) -> float:
    """−log(softmax(scores)[target]) = −scores[target] + log Σ_j exp(scores[j])."""
    return -scores[target] + math.log(sum(math.exp(s) for s in scores))


def loss_checks() -> list[LossCheck]:
    pred, target = torch.tensor(PREDICTIONS), torch.tensor(TARGETS)  # float32: losses need floating point
    # CrossEntropyLoss wants (N, C) scores and (N,) class indices: one sample, 3 classes
    scores, label = torch.tensor([SCORES]), torch.tensor([TARGET_CLASS])
    return [
        LossCheck("L1Loss()", "Σ|x − y| / n", nn.L1Loss()(pred, target).item(), l1_by_hand(PREDICTIONS, TARGETS)),
        LossCheck("L1Loss(reduction='sum')", "Σ|x − y|", nn.L1Loss(reduction="sum")(pred, target).item(),
                  l1_by_hand(PREDICTIONS, TARGETS, "sum")),
        LossCheck("MSELoss()", "Σ(x − y)² / n", nn.MSELoss()(pred, target).item(), mse_by_hand(PREDICTIONS, TARGETS)),
        LossCheck("CrossEntropyLoss()", "−x[class] + log Σ_j exp(x[j])", nn.CrossEntropyLoss()(scores, label).item(),
                  cross_entropy_by_hand(SCORES, TARGET_CLASS)),
    ]


def integer_error() -> str:
    try:
        nn.L1Loss()(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 5]))  # int64: the mean has no integer dtype
    except RuntimeError as err:
        return str(err)
    return ""


def one_batch(data_dir: Path | None = None, batch_size: int = BATCH_SIZE,
              seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """One shuffled test batch: images (B, 3, 32, 32) in [0, 1] (ToTensor's output) and labels (B,)."""
    test_set = CifarDataset(find_cifar10(data_dir).test)
    loader = DataLoader(test_set, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    return next(iter(loader))


def backward_check(data_dir: Path | None) -> BackwardCheck:
    images, labels = one_batch(data_dir)
    torch.manual_seed(SEED)  # the same starting weights every run
    model = Tudui()
    conv1 = model.model[0].weight  # (32, 3, 5, 5)
    grad_before = conv1.grad  # None: a fresh model has no gradients yet
    loss = nn.CrossEntropyLoss()(model(images), labels)  # (B, 10) scores vs (B,) labels → one number
    loss.backward()  # fills p.grad = ∂loss/∂p for every parameter p, in p's shape
    params = list(model.parameters())
    return BackwardCheck(
        batch_shape=tuple(images.shape),
        loss=loss.item(),
        grad_before_backward=grad_before is not None,
        conv1_grad_shape=tuple(conv1.grad.shape),
        conv1_grad_norm=conv1.grad.norm().item(),
        params_with_grad=sum(1 for p in params if p.grad is not None and p.grad.abs().sum() > 0),
        params_total=len(params),
    )


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    scores, label = torch.tensor([CONFIDENT]), torch.tensor([TARGET_CLASS])  # (1, 3), (1,)
    return Result(
        losses=loss_checks(),
        confident_ce=nn.CrossEntropyLoss()(scores, label).item(),
        confident_ce_after_softmax=nn.CrossEntropyLoss()(torch.softmax(scores, dim=1), label).item(),
        integer_error=integer_error(),
        backward=backward_check(data_dir),
    )


def describe(result: Result) -> str:
    lines = [_("predictions {predictions}, targets {targets}; scores {scores}, class {target}").format(
        predictions=PREDICTIONS, targets=TARGETS, scores=SCORES, target=TARGET_CLASS)]
    lines += ["    " + _("{name:<25} {value:.4f}   by hand {by_hand:.4f}   = {formula}").format(
        name=c.name, value=c.torch_value, by_hand=c.by_hand, formula=c.formula) for c in result.losses]
    lines.append(_("confident, right scores {scores}: CrossEntropyLoss {right:.4f}; on softmax(scores) instead "
                   "{wrong:.4f} (softmax twice: wrong)").format(scores=CONFIDENT, right=result.confident_ce,
                                                                 wrong=result.confident_ce_after_softmax))
    lines.append(_("L1Loss on int64 tensors: RuntimeError: {error}").format(error=result.integer_error))
    b = result.backward
    before = _("set") if b.grad_before_backward else "None"  # not text: the value Python prints
    lines += [_("course model on one batch {shape}: loss {loss:.4f} (ln 10 = {ln10:.4f})").format(
                  shape=b.batch_shape, loss=b.loss, ln10=math.log(10)),
              "    " + _("conv1.weight.grad before backward(): {before}").format(before=before),
              "    " + _("after: shape {shape}, norm {norm:.4f}; {with_grad} of {total} parameters have a non-zero "
                         "gradient").format(shape=b.conv1_grad_shape, norm=b.conv1_grad_norm,
                                            with_grad=b.params_with_grad, total=b.params_total)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("losses", argv)


if __name__ == "__main__":
    raise SystemExit(main())
