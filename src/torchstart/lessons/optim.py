"""Lesson 15 — optimisers (课程第十五章：优化器).

中文：用课程的训练步骤（前向 → 损失 → zero_grad → backward → step）在几百张真实 CIFAR-10 图片上训练几轮，
看损失一轮比一轮低。训练走的是包里唯一的训练循环 `torchstart.training.engine.fit`。SGD、带动量的 SGD 和 Adam
从同一组初始权重、同样的数据顺序出发，比较谁降得快。最后手写一步 SGD 更新 p ← p − lr·grad（以及带动量和
权重衰减的版本），验证它和 `torch.optim.SGD` 算出的参数一致。

English: train the course model for a few epochs on a few hundred real CIFAR-10 images with the course's step
(forward → loss → zero_grad → backward → step) and watch the loss fall epoch after epoch. The training runs
through the package's one loop, `torchstart.training.engine.fit`. SGD, SGD with momentum and Adam start from the same
weights and see the same batches, so their curves can be compared. Finally one SGD update is written by hand,
p ← p − lr·grad (and a momentum + weight-decay variant), and checked against `torch.optim.SGD`.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..data import CIFAR10_MEAN, CIFAR10_STD, ArraySplit, TensorLoader, find_cifar10
from ..device import pick_device, seed_everything
from ..models import Tudui
from ..training.engine import TrainState, fit
from .runner import lesson_main

SEED = 0
TRAIN_IMAGES = 384  # a seeded random subset of the training split (6 steps of 64 per epoch)
TEST_IMAGES = 200
EPOCHS = 3
BATCH = 64  # the course's batch size
# (name, optimiser class, its settings): the course's SGD with lr 0.01, the same with momentum, and Adam at its
# usual lr (Adam scales each step by a running gradient size, so its lr is not comparable to SGD's)
OPTIMIZERS = [
    ("SGD", torch.optim.SGD, {"lr": 0.01}),
    ("SGD + momentum", torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
    ("Adam", torch.optim.Adam, {"lr": 0.001}),
]


@dataclass
class OptimizerRun:
    name: str
    settings: dict[str, float]
    start_weights: str  # fingerprint of the weights before training: the same for every optimiser
    train_losses: list[float]  # mean cross-entropy per image, one per epoch
    test_accuracies: list[float]  # 0..1, one per epoch


@dataclass
class Result:
    data: str  # where the images came from
    train_images: int
    test_images: int
    epochs: int
    batch_size: int
    device: str
    runs: list[OptimizerRun]
    sgd_step_diff: float  # largest |p_by_hand − p_torch| after one plain SGD step
    momentum_step_diff: float  # the same after two steps with momentum 0.9 and weight decay 5e-4


def weights_fingerprint(model: nn.Module) -> str:
    """A short hash of every parameter's bytes: equal fingerprints mean bit-identical weights."""
    digest = hashlib.sha256()
    for p in model.parameters():
        digest.update(p.detach().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def compare_optimizers(train: ArraySplit, test: ArraySplit, device: torch.device, *, epochs: int = EPOCHS,
                       batch_size: int = BATCH, seed: int = SEED) -> list[OptimizerRun]:
    """Train one fresh copy of the same initial model per optimiser in OPTIMIZERS, on the same batches."""
    # Standardised inputs ((x/255 − mean) / std, what the package's recipes use): plain SGD then moves in a few
    # epochs; on the course's raw [0, 1] pixels it barely leaves the starting loss of ln 10 ≈ 2.30.
    norm = {"mean": CIFAR10_MEAN, "std": CIFAR10_STD}
    train_loader = TensorLoader(train.images, train.labels, batch_size=batch_size, device=device, shuffle=True,
                                seed=seed, **norm)  # fit() sets the epoch, so every run sees the same batches
    test_loader = TensorLoader(test.images, test.labels, batch_size=256, device=device, **norm)
    seed_everything(seed)
    start = Tudui().state_dict()  # one set of random weights, shared by all optimisers
    runs = []
    for name, optimizer_class, settings in OPTIMIZERS:
        model = Tudui()
        model.load_state_dict(start)
        fingerprint = weights_fingerprint(model)
        model.to(device)
        optimizer = optimizer_class(model.parameters(), **settings)  # after .to(): see lesson 18
        history = fit(TrainState(model, optimizer), train_loader, test_loader, device, epochs=epochs,
                      num_classes=10)
        runs.append(OptimizerRun(name, dict(settings), fingerprint, [e.train_loss for e in history.epochs],
                                 [e.test_accuracy for e in history.epochs]))
    return runs


def sgd_step_by_hand(model: nn.Module, buffers: dict[str, torch.Tensor], *, lr: float, momentum: float = 0.0,
                     weight_decay: float = 0.0) -> None:
    """One SGD update of every parameter with a .grad, in place — the rule torch.optim.SGD documents.

    d = grad + weight_decay · p               (weight decay = the gradient of an L2 penalty)
    buf = d on the first step, then momentum · buf + d   (only with momentum; kept in `buffers`)
    p ← p − lr · d   (d = buf with momentum)
    """
    with torch.no_grad():  # the update itself must not become part of the next step's graph
        for name, p in model.named_parameters():
            d = p.grad + weight_decay * p
            if momentum:
                buffers[name] = d.clone() if name not in buffers else momentum * buffers[name] + d
                d = buffers[name]
            p -= lr * d


def check_sgd_step(x: torch.Tensor, y: torch.Tensor, *, lr: float, momentum: float = 0.0,
                   weight_decay: float = 0.0, steps: int = 1, seed: int = SEED) -> float:
    """Largest |difference| of any parameter after `steps` hand-written updates vs torch.optim.SGD's.

    Both copies start equal and compute their gradients on the same batch (x, y). One step checks the plain
    rule; momentum needs a second step, because on the first one the buffer is just the gradient.
    """
    seed_everything(seed)
    by_hand = Tudui().to(x.device)
    by_torch = copy.deepcopy(by_hand)
    optimizer = torch.optim.SGD(by_torch.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    buffers: dict[str, torch.Tensor] = {}
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        for model in (by_hand, by_torch):
            model.zero_grad()  # gradients add up across backward() calls unless cleared
            loss_fn(model(x), y).backward()
        optimizer.step()
        sgd_step_by_hand(by_hand, buffers, lr=lr, momentum=momentum, weight_decay=weight_decay)
    return max((a - b).abs().max().item() for a, b in zip(by_hand.parameters(), by_torch.parameters()))


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    target = pick_device(device)
    data = find_cifar10(data_dir)
    train, test = data.train.subset(TRAIN_IMAGES, SEED), data.test.subset(TEST_IMAGES, SEED)
    runs = compare_optimizers(train, test, target)
    x, y = next(iter(TensorLoader(train.images, train.labels, batch_size=BATCH, device=target,
                                  mean=CIFAR10_MEAN, std=CIFAR10_STD)))  # (64, 3, 32, 32), (64,)
    return Result(data=data.describe(), train_images=len(train), test_images=len(test), epochs=EPOCHS,
                  batch_size=BATCH, device=str(target), runs=runs,
                  sgd_step_diff=check_sgd_step(x, y, lr=0.01),
                  momentum_step_diff=check_sgd_step(x, y, lr=0.01, momentum=0.9, weight_decay=5e-4, steps=2))


def describe(result: Result) -> str:
    lines = [result.data,
             f"{result.train_images} train / {result.test_images} test images, batch {result.batch_size}, "
             f"{result.epochs} epochs on {result.device}, all optimisers from weights {result.runs[0].start_weights}",
             f"{'optimiser':<16} {'settings':<28} train loss per epoch        test accuracy"]
    for r in result.runs:
        settings = ", ".join(f"{k}={v}" for k, v in r.settings.items())
        losses = " → ".join(f"{v:.3f}" for v in r.train_losses)
        accuracies = " → ".join(f"{100 * v:.0f}%" for v in r.test_accuracies)
        lines.append(f"{r.name:<16} {settings:<28} {losses:<27} {accuracies}")
    lines += [f"hand-written SGD step vs torch.optim.SGD: largest difference {result.sgd_step_diff:.1e}",
              f"with momentum 0.9 + weight decay 5e-4, two steps: {result.momentum_step_diff:.1e}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("optim", argv)


if __name__ == "__main__":
    raise SystemExit(main())
