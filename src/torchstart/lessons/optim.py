"""Lesson 15 — optimisers (课程第十五章：优化器).

中文：先原样跑第十五章的训练循环（纯 torch：DataLoader → 前向 → 损失 → zero_grad → backward → step，`SGD(lr=0.001)`），
量出课程的 `running_loss += result_loss`（加的是张量）留住了多少计算图，而 `.item()` 只是一个数；再让 SGD、带动量
的 SGD 和 Adam 从同一组权重、同样的批次出发，用包里唯一的训练循环 `engine.fit` 训练（测试证明它和上面的纯 torch
循环得到相同的权重）；最后手写一步 SGD 更新，验证它和 `torch.optim.SGD` 一致。

English: run chapter 十五's own loop in plain torch (DataLoader → forward → loss → zero_grad → backward → step,
`SGD(lr=0.001)`), measure what the course's `running_loss += result_loss` (a tensor) keeps alive against `.item()`,
a plain number; train SGD, SGD with momentum and Adam from the same weights on the same batches with the package's
one loop, `engine.fit` (a test proves it gives the plain loop's weights); and check a hand-written SGD step
against `torch.optim.SGD`.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data import CIFAR10_MEAN, CIFAR10_STD, ArraySplit, CifarDataset, TensorLoader, find_cifar10
from ..device import keep_freed_memory, pick_device, seed_everything
from ..i18n import N_, _, columns
from ..models import Tudui
from ..training.engine import EpochRecord, EvalResult, History, TrainState, fit
from .runner import lesson_main

SEED = 0
TRAIN_IMAGES = 384  # a seeded random subset of the training split (6 steps of 64 per epoch)
TEST_IMAGES = 200
EPOCHS = 3
BATCH = 64  # the course's batch size
# Chapter 十五's own run: SGD(lr=0.001), 20 epochs over CIFAR-10's 10,000 test images (157 batches of 64).
COURSE_LR, COURSE_EPOCHS, COURSE_IMAGES = 0.001, 20, 10_000
COURSE_EPOCHS_HERE = 3  # on TRAIN_IMAGES: 18 steps instead of the course's 3,140, so the lesson takes seconds
TENSOR_SUM_BATCHES = 3  # batches summed the course's way: each adds the same number of graph nodes
# (name, optimiser class, its settings): SGD at lr 0.01 (the course's full training script, chapter 十九; chapter
# 十五 itself uses 0.001, run above), the same with momentum, and Adam at its usual lr (Adam scales each step by a
# running gradient size, so its lr is not comparable to SGD's)
OPTIMIZERS = [
    (N_("SGD"), torch.optim.SGD, {"lr": 0.01}),
    (N_("SGD + momentum"), torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}),
    (N_("Adam"), torch.optim.Adam, {"lr": 0.001}),
]
Report = Callable[[str], None]  # called with one line of progress per epoch (see runner.run_lesson)


@dataclass
class CourseLoop:
    images: int
    batches: int  # per epoch; running_loss / batches = the mean loss per image (all batches are full)
    running_losses: list[float]  # per epoch: the sum of the batch-mean losses, what the course prints
    # the course's `running_loss += result_loss` (a tensor) over TENSOR_SUM_BATCHES batches, against .item():
    printed: str  # print(running_loss): "tensor(6.9174, grad_fn=<AddBackward0>)", as in the course's screenshot
    graph_nodes: list[int]  # autograd nodes reachable from running_loss.grad_fn after each batch
    batch_graphs: int  # NllLossBackward0 nodes among them: one per batch whose graph is still referenced
    tensor_sum: float
    float_sum: float  # the same sum with .item(): a Python float, no graph at all


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
    course_loop: CourseLoop
    train_images: int
    test_images: int
    epochs: int
    batch_size: int
    device: str
    runs: list[OptimizerRun]
    sgd_step_diff: float  # largest |p_by_hand − p_torch| after one plain SGD step
    momentum_step_diff: float  # the same after two steps with momentum 0.9 and weight decay 5e-4


def course_loop(model: nn.Module, dataloader: DataLoader, *, epochs: int, lr: float = COURSE_LR,
                report: Report | None = None) -> list[float]:
    """Chapter 十五's training loop as the course writes it; returns running_loss of every epoch.

    One deliberate change: `running_loss += result_loss.item()` where the course adds the tensor itself
    (tensor_sum_cost shows what that keeps alive). engine.fit runs the same steps (a test checks the weights).
    """
    loss = nn.CrossEntropyLoss()
    optim = torch.optim.SGD(model.parameters(), lr=lr)
    sums = []
    for epoch in range(epochs):
        running_loss = 0.0  # this epoch's loss, reset every epoch
        for data in dataloader:
            image, target = data  # (64, 3, 32, 32) pixels in [0, 1], (64,) class indices
            output = model(image)  # (64, 10) scores
            result_loss = loss(output, target)  # the mean over the batch's 64 images
            optim.zero_grad()  # backward() adds to .grad: clear the last step's gradients first
            result_loss.backward()  # .grad of every parameter = ∂loss/∂p
            optim.step()  # p ← p − lr · p.grad
            running_loss += result_loss.item()  # a Python float: the batch's graph can be freed
        sums.append(running_loss)
        if report:
            report(_("course loop epoch {epoch}/{epochs}: running_loss {loss:.4f}").format(
                epoch=epoch + 1, epochs=epochs, loss=running_loss))
    return sums


def graph_nodes(tensor: torch.Tensor) -> tuple[int, int]:
    """(autograd nodes reachable from tensor.grad_fn, how many of them are NllLossBackward0 — one per loss)."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack += [parent for parent, _index in node.next_functions]
    return len(seen), sum(type(node).__name__ == "NllLossBackward0" for node in seen)


def tensor_sum_cost(model: nn.Module, dataloader: DataLoader, *, batches: int = TENSOR_SUM_BATCHES,
                    lr: float = COURSE_LR) -> dict:
    """`batches` steps of the course's loop with its own line, `running_loss += result_loss`, next to `.item()`.

    backward() frees each batch's saved activations, but the sum's grad_fn still points at every batch's
    graph nodes, so they live until running_loss is reset (and print shows `grad_fn=<AddBackward0>`).
    Returns the CourseLoop fields printed … float_sum.
    """
    loss = nn.CrossEntropyLoss()
    optim = torch.optim.SGD(model.parameters(), lr=lr)
    running_loss, running_float, nodes = 0.0, 0.0, []
    for image, target in itertools.islice(dataloader, batches):
        result_loss = loss(model(image), target)
        optim.zero_grad()
        result_loss.backward()
        optim.step()
        running_loss += result_loss  # the course's line: a tensor that requires grad, with a growing graph
        running_float += result_loss.item()
        nodes.append(graph_nodes(running_loss)[0])
    return {"printed": repr(running_loss), "graph_nodes": nodes, "batch_graphs": graph_nodes(running_loss)[1],
            "tensor_sum": running_loss.item(), "float_sum": running_float}


def weights_fingerprint(model: nn.Module) -> str:
    """A short hash of every parameter's bytes: equal fingerprints mean bit-identical weights."""
    digest = hashlib.sha256()
    for p in model.parameters():
        digest.update(p.detach().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def compare_optimizers(train: ArraySplit, test: ArraySplit, device: torch.device, *, epochs: int = EPOCHS,
                       batch_size: int = BATCH, seed: int = SEED, report: Report | None = None) -> list[OptimizerRun]:
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

        def progress(record: EpochRecord, _result: EvalResult, _history: History, name: str = name) -> None:
            report(_("{optimizer} epoch {epoch}/{epochs}: train loss {loss:.3f}, test accuracy {accuracy:.0%}").format(
                optimizer=_(name), epoch=record.epoch, epochs=epochs, loss=record.train_loss,
                accuracy=record.test_accuracy))

        history = fit(TrainState(model, optimizer), train_loader, test_loader, device, epochs=epochs,
                      num_classes=10, on_epoch_end=progress if report else None)
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
    """Largest |difference| of any parameter after `steps` hand-written updates vs torch.optim.SGD's, both from
    the same weights on batch (x, y); momentum needs two steps (on the first, its buffer is just the gradient)."""
    seed_everything(seed)
    by_hand = Tudui().to(x.device)
    by_torch = copy.deepcopy(by_hand)
    optimizer = torch.optim.SGD(by_torch.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    buffers: dict[str, torch.Tensor] = {}
    loss_fn = nn.CrossEntropyLoss()
    for _step in range(steps):
        for model in (by_hand, by_torch):
            model.zero_grad()  # gradients add up across backward() calls unless cleared
            loss_fn(model(x), y).backward()
        optimizer.step()
        sgd_step_by_hand(by_hand, buffers, lr=lr, momentum=momentum, weight_decay=weight_decay)
    return max((a - b).abs().max().item() for a, b in zip(by_hand.parameters(), by_torch.parameters()))


def run_course_loop(train: ArraySplit, *, epochs: int = COURSE_EPOCHS_HERE, seed: int = SEED,
                    report: Report | None = None) -> CourseLoop:
    """Chapter 十五 as it runs in the course: its DataLoader (ToTensor pixels, batch 64, no shuffle), on the CPU."""
    dataloader = DataLoader(CifarDataset(train), batch_size=BATCH)  # CifarDataset without a transform = ToTensor()
    seed_everything(seed)
    sums = course_loop(Tudui(), dataloader, epochs=epochs, report=report)
    seed_everything(seed)
    return CourseLoop(images=len(train), batches=len(dataloader), running_losses=sums,
                      **tensor_sum_cost(Tudui(), dataloader))


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto", report: Report | None = None) -> Result:
    target = pick_device(device)
    data = find_cifar10(data_dir)
    train, test = data.train.subset(TRAIN_IMAGES, SEED), data.test.subset(TEST_IMAGES, SEED)
    keep_freed_memory()  # the allocator setting engine.fit makes: each step reuses the last step's memory
    loop = run_course_loop(train, report=report)
    runs = compare_optimizers(train, test, target, report=report)
    x, y = next(iter(TensorLoader(train.images, train.labels, batch_size=BATCH, device=target,
                                  mean=CIFAR10_MEAN, std=CIFAR10_STD)))  # (64, 3, 32, 32), (64,)
    return Result(data=data.describe(), course_loop=loop, train_images=len(train),
                  test_images=len(test), epochs=EPOCHS, batch_size=BATCH, device=str(target), runs=runs,
                  sgd_step_diff=check_sgd_step(x, y, lr=0.01),
                  momentum_step_diff=check_sgd_step(x, y, lr=0.01, momentum=0.9, weight_decay=5e-4, steps=2))


def course_loop_lines(result: Result) -> list[str]:
    c, pad = result.course_loop, "   "
    course_steps = COURSE_EPOCHS * -(-COURSE_IMAGES // BATCH)  # 20 epochs × 157 batches
    lines = [_("1. chapter 十五's loop in plain torch: SGD(lr={lr}), batch {batch}, pixels in [0, 1] (ToTensor), "
               "no shuffle, on the CPU").format(lr=COURSE_LR, batch=BATCH),
             pad + _("the course runs {course_epochs} epochs over the {course_images:,} CIFAR-10 test images "
                     "({course_steps:,} steps); here {epochs} epochs over {images} training images ({steps} steps), "
                     "so that the lesson takes seconds").format(
                 course_epochs=COURSE_EPOCHS, course_images=COURSE_IMAGES, course_steps=course_steps,
                 epochs=len(c.running_losses), images=c.images, steps=len(c.running_losses) * c.batches),
             pad + _("running_loss: the sum of an epoch's {batches} batch means, what the course prints").format(
                 batches=c.batches),
             pad + _("epoch  running_loss  mean per image")]
    lines += [f"{pad}{epoch:>5}  {loss:>12.4f}  {loss / c.batches:>14.4f}"
              for epoch, loss in enumerate(c.running_losses, 1)]
    drop = (c.running_losses[0] - c.running_losses[-1]) / c.batches
    return lines + [
        pad + _("at lr {lr} on [0, 1] pixels the mean loss falls by only {drop:.4f} from the first epoch to the "
                "last; the course needs its {course_steps:,} steps to show a fall").format(lr=COURSE_LR, drop=drop,
                                                                          course_steps=course_steps),
        _("2. the course's running_loss += result_loss adds the tensor; after {batches} batches print shows "
          "{printed}").format(batches=len(c.graph_nodes), printed=c.printed),
        pad + _("it keeps the graphs of all {graphs} batches alive: {nodes} autograd nodes, {per_batch} more with "
                "every batch, until running_loss is reset").format(
            graphs=c.batch_graphs, nodes=c.graph_nodes[-1], per_batch=c.graph_nodes[1] - c.graph_nodes[0]),
        pad + _("running_loss += result_loss.item() (the loop above): the float {value:.4f}, the same sum, "
                "no graph").format(value=c.float_sum)]


def describe(result: Result) -> str:
    pad = "   "
    lines = [result.data, *course_loop_lines(result),
             _("3. optimisers, trained by engine.fit: {train} train / {test} test images, standardised, batch "
               "{batch}, {epochs} epochs on {device}, all from weights {weights}").format(
                 train=result.train_images, test=result.test_images, batch=result.batch_size,
                 epochs=result.epochs, device=result.device, weights=result.runs[0].start_weights),
             pad + _("optimiser        settings                     train loss per epoch        test accuracy")]
    for r in result.runs:
        name = _(r.name)
        name += " " * (17 - columns(name))
        settings = ", ".join(f"{k}={v}" for k, v in r.settings.items())
        losses = " → ".join(f"{v:.3f}" for v in r.train_losses)
        accuracies = " → ".join(f"{100 * v:.0f}%" for v in r.test_accuracies)
        lines.append(f"{pad}{name}{settings:<28} {losses:<27} {accuracies}")
    lines += [_("4. hand-written SGD step vs torch.optim.SGD: largest difference {diff:.1e}").format(
                  diff=result.sgd_step_diff),
              pad + _("with momentum 0.9 + weight decay 5e-4, two steps: {diff:.1e}").format(
                  diff=result.momentum_step_diff)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("optim", argv)


if __name__ == "__main__":
    raise SystemExit(main())
