"""Lesson 19 — the whole pipeline: train → test → TensorBoard → save (课程“完整的模型训练套路”).

中文：这一课就是课程的 train.py，用普通的 torch 写出来，从上往下读：准备数据集和 DataLoader → 搭模型 → 损失函数 →
优化器 → 每一轮：`model.train()`，对每个批次 `zero_grad` / `backward` / `step`，每 100 步打印一次损失并
`writer.add_scalar`；然后 `model.eval()`，在 `torch.no_grad()` 下跑测试集，用 `(outputs.argmax(1) == targets).sum()`
数对了几张图；最后每轮保存一次。超参数就是课程的：SGD、学习率 0.01、不加动量、批大小 64。和课程不同的地方都是
有意改的，运行时逐条打印出来并说明原因（打乱训练集、测试损失取每张图的平均、保存 state_dict 等）。测试证明：这个
循环和 `torchstart train` 用的 `engine.fit` 在同样的数据、种子和设置下训练一轮，得到的权重相同。

English: this lesson is the course's train.py, written in plain torch to read top to bottom: datasets and
DataLoaders → model → loss → optimiser → per epoch: `model.train()`, for every batch `zero_grad` / `backward` /
`step`, the loss printed and `writer.add_scalar` every 100 steps; then `model.eval()` and the test set under
`torch.no_grad()`, counting correct images with `(outputs.argmax(1) == targets).sum()`; then a save per epoch. The
hyperparameters are the course's: SGD, lr 0.01, no momentum, batch 64. Every difference from the course is on
purpose and printed with its reason on each run (a shuffled training set, the test loss as a mean per image, a
state_dict save, …). A test proves that this loop and `engine.fit`, the loop `torchstart train` runs, give the same
weights after an epoch on the same data, seed and settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter

from ..data import CifarDataset, ImageData, find_cifar10
from ..device import keep_freed_memory, pick_device, seed_everything
from ..files import writable_dir
from ..i18n import N_, _
from ..models import Tudui
from ..training.checkpoint import make_checkpoint, save_checkpoint
from .runner import lesson_main

# The course's train.py settings.
BATCH_SIZE = 64  # images per step, training and test
LEARNING_RATE = 1e-2  # SGD step size per unit of gradient; no momentum
LOG_EVERY = 100  # steps between the printed (and logged) training losses
COURSE_EPOCHS = 10
# Ours: the course's 10 epochs of the 2,000-image sample fit the lesson's 20-second budget on 2 CPU cores.
EPOCHS = COURSE_EPOCHS
SEED = 0

# What this lesson does differently from the course, on purpose; each is printed with every run.
CHANGES = (
    N_("shuffle=True with a seeded generator: the course's DataLoader gives the same batches in the same order "
       "every epoch; shuffling mixes them anew, and the seed makes the run repeat"),
    N_("test loss as a mean per image: the course adds up one mean per batch, a number that grows with the "
       "number of batches (the course's sum is shown next to it)"),
    N_("torch.save of the state_dict with the class names and preprocessing (a torchstart checkpoint), not of the "
       "whole model: a whole model needs full pickle to load (lesson 17)"),
    N_("model and every batch .to(device) (lesson 18): the same script runs on a CPU or a GPU"),
)


@dataclass
class EpochRow:
    epoch: int  # 1-based, as the course prints it
    step_losses: list[tuple[int, float]]  # (step, that batch's loss) every LOG_EVERY steps within this epoch
    test_loss_sum: float  # the course's number: the sum of the test batches' mean losses
    test_loss: float  # mean cross-entropy per test image
    test_correct: int  # test images whose largest logit is their true class
    test_accuracy: float  # test_correct / test images, 0..1


@dataclass
class Result:
    data: str  # which CIFAR-10 was used
    device: str
    train_size: int
    test_size: int
    epochs_run: int
    steps: int  # optimiser steps taken in all
    epochs: list[EpochRow] = field(default_factory=list)
    tb_dir: Path | None = None  # tensorboard --logdir <this>
    checkpoints: list[Path] = field(default_factory=list)  # one per epoch; lesson 20 (predict) can use them


def make_loaders(data: ImageData, seed: int = SEED) -> tuple[DataLoader, DataLoader]:
    """The course's two DataLoaders over ToTensor images (CifarDataset without a transform: (3, 32, 32) in [0, 1])."""
    train_data, test_data = CifarDataset(data.train), CifarDataset(data.test)
    train_dataloader = DataLoader(train_data, batch_size=BATCH_SIZE, shuffle=True,  # changed: shuffled, seeded
                                  generator=torch.Generator().manual_seed(seed))
    test_dataloader = DataLoader(test_data, batch_size=BATCH_SIZE)
    return train_dataloader, test_dataloader


def train_epoch(model: nn.Module, loader, loss_fn: nn.Module, optimizer: torch.optim.Optimizer,
                device: torch.device, writer: SummaryWriter, total_train_step: int = 0,
                on_log: Callable[[int, float], None] | None = None) -> int:
    """One pass over the training set, the course's way. Returns the step count after it."""
    model.train()
    for imgs, targets in loader:
        imgs, targets = imgs.to(device), targets.to(device)
        outputs = model(imgs)
        loss = loss_fn(outputs, targets)  # the mean over this batch's images
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_train_step += 1
        if total_train_step % LOG_EVERY == 0:
            value = loss.item()  # .item(): a Python number, so no autograd graph is kept alive
            writer.add_scalar("train_loss", value, total_train_step)
            if on_log is not None:
                on_log(total_train_step, value)
    return total_train_step


def check_on_test_set(model: nn.Module, loader, loss_fn: nn.Module, device: torch.device) -> tuple[float, float, int]:
    """The course's test pass: (sum of batch mean losses, mean loss per image, correct images)."""
    model.eval()
    total_test_loss = 0.0  # the course's sum of batch means
    loss_of_all_images = 0.0  # ours: Σ batch mean × batch size, for the mean per image
    total_accuracy = torch.zeros((), dtype=torch.long, device=device)
    images = 0
    with torch.no_grad():
        for imgs, targets in loader:
            imgs, targets = imgs.to(device), targets.to(device)
            outputs = model(imgs)
            loss = loss_fn(outputs, targets).item()  # one device-to-host copy per batch
            total_test_loss += loss
            loss_of_all_images += loss * len(targets)
            accuracy = (outputs.argmax(1) == targets).sum()  # correct images in this batch
            total_accuracy = total_accuracy + accuracy
            images += len(targets)
    return total_test_loss, loss_of_all_images / max(images, 1), int(total_accuracy)


def _save(model: nn.Module, data: ImageData, path: Path, epoch: int, accuracy: float) -> Path:
    # The course: torch.save(tudui, "tudui_{}.pth".format(i)). Here the weights, plus what predict needs; the
    # inputs are ToTensor's [0, 1] (mean 0, std 1) and photos are squashed to 32×32 as the course's test.py does.
    save_checkpoint(make_checkpoint(model, model_name="tudui", classes=data.classes, mean=(0.0, 0.0, 0.0),
                                    std=(1.0, 1.0, 1.0), resize="squash", epoch=epoch, test_accuracy=accuracy), path)
    return path


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto", epochs: int = EPOCHS,
        report: Callable[[str], None] | None = None) -> Result:
    out = writable_dir(Path(out))
    target = pick_device(device)
    keep_freed_memory()  # not in the course: no new memory from the OS every step (see device.py); same numbers
    seed_everything(SEED)
    say = report or (lambda line: None)

    data = find_cifar10(data_dir)  # 1. the data: the training and the test set
    train_dataloader, test_dataloader = make_loaders(data)
    tudui = Tudui(num_classes=len(data.classes)).to(target)  # 2. the model, loss and optimiser
    loss_fn = nn.CrossEntropyLoss().to(target)
    optimizer = torch.optim.SGD(tudui.parameters(), lr=LEARNING_RATE)
    writer = SummaryWriter(str(out / "logs_train"))  # 3. TensorBoard
    result = Result(data=data.describe(), device=str(target), train_size=len(data.train),
                    test_size=len(data.test), epochs_run=epochs, steps=0, tb_dir=out / "logs_train")
    logged: list[tuple[int, float]] = []  # the losses printed during the current epoch

    def on_log(step: int, loss: float) -> None:  # the course's print every 100 steps
        logged.append((step, loss))
        say(step_line(step, loss))

    try:
        for i in range(epochs):  # 4. train, test, log, save — once per epoch
            result.steps = train_epoch(tudui, train_dataloader, loss_fn, optimizer, target, writer, result.steps,
                                       on_log)
            loss_sum, loss_mean, correct = check_on_test_set(tudui, test_dataloader, loss_fn, target)
            row = EpochRow(i + 1, logged.copy(), loss_sum, loss_mean, correct, correct / len(data.test))
            logged.clear()
            writer.add_scalar("test_loss", row.test_loss, i)  # the course's total_test_step starts at 0
            writer.add_scalar("test_accuracy", row.test_accuracy, i)
            result.checkpoints.append(_save(tudui, data, out / f"tudui_{row.epoch}.pt", row.epoch, row.test_accuracy))
            result.epochs.append(row)
            say(epoch_line(row, epochs, len(data.test)))
    finally:
        writer.close()
    return result


def step_line(step: int, loss: float) -> str:
    return _("step {step}: loss {loss:.4f}").format(step=step, loss=loss)


def epoch_line(row: EpochRow, epochs: int, test_size: int) -> str:
    return _("epoch {epoch}/{epochs}: test loss {loss:.4f} per image (the course's sum of batch means: {sum:.2f}); "
             "{correct}/{total} test images correct = {accuracy:.1%}").format(
        epoch=row.epoch, epochs=epochs, loss=row.test_loss, sum=row.test_loss_sum, correct=row.test_correct,
        total=test_size, accuracy=row.test_accuracy)


def settings_lines(result: Result) -> list[str]:
    """The course's settings, then each deliberate change with its reason."""
    if result.epochs_run == COURSE_EPOCHS:
        epochs = _("{epochs} epochs, as in the course: on the embedded 2,000-image sample they take seconds on a "
                   "CPU; the full set (--data-dir) has 25 times as many images per epoch").format(
            epochs=result.epochs_run)
    else:
        epochs = _("{epochs} epochs instead of the course's {course}").format(epochs=result.epochs_run,
                                                                            course=COURSE_EPOCHS)
    return [_("training set: {train:,} images; test set: {test:,} images").format(train=result.train_size,
                                                                                  test=result.test_size),
            _("the course's settings: SGD with lr {lr} and no momentum, batch {batch}, CrossEntropyLoss, the loss "
              "printed every {every} steps; device {device}").format(lr=LEARNING_RATE, batch=BATCH_SIZE,
                                                                    every=LOG_EVERY, device=result.device),
            epochs, _("changed on purpose:")] + [f"  - {_(change)}" for change in CHANGES]


def describe(result: Result) -> str:
    lines = [result.data, *settings_lines(result)]
    for row in result.epochs:
        lines += [step_line(step, loss) for step, loss in row.step_losses]
        lines.append(epoch_line(row, result.epochs_run, result.test_size))
    if result.checkpoints:
        lines.append(_("saved {names} in {folder} (one per epoch: the state_dict and what predict needs)").format(
            names=", ".join(p.name for p in result.checkpoints), folder=result.checkpoints[-1].parent))
    lines.append(_("see the curves: tensorboard --logdir {folder}").format(folder=result.tb_dir))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("pipeline", argv)


if __name__ == "__main__":
    raise SystemExit(main())
