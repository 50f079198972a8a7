"""Lesson 19 — the whole pipeline: train → test → TensorBoard → save (课程“完整的模型训练套路”).

中文：把前面各课拼成课程的 train.py：准备数据集和 DataLoader → 搭模型 → 损失函数 → 优化器 → 每轮训练后在测试集上
算损失和准确率 → 写入 TensorBoard → 每轮保存一次模型。训练循环用的是 torchstart 的引擎 `engine.fit`（也是
`torchstart train` 用的同一个循环），所以这里只剩下“组装”；想看循环内部，打开 `torchstart/training/engine.py`。
默认在内置的 2,000 张真实 CIFAR-10 样本上训练几轮，几秒钟就能看到准确率明显高于 10% 的瞎猜。

English: put the earlier lessons together into the course's train.py: datasets and DataLoaders → model → loss →
optimiser → after each training epoch, loss and accuracy on the test set → TensorBoard → a checkpoint per epoch.
The loop itself is torchstart's engine `engine.fit` (the same loop `torchstart train` runs), so this file is only
the assembly; open `torchstart/training/engine.py` to read the loop. By default it trains a few epochs on the embedded
2,000 real CIFAR-10 images, and within seconds accuracy is well above the 10 % of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data import CifarDataset, find_cifar10
from ..device import pick_device, seed_everything
from ..files import writable_dir
from ..models import Tudui
from ..training.checkpoint import make_checkpoint, save_checkpoint
from ..training.engine import EpochRecord, EvalResult, History, TrainState, fit
from ..training.tracking import TensorBoardTracker
from .runner import lesson_main

EPOCHS = 4
BATCH_SIZE = 64  # images per step, as in the course
LR = 0.02  # SGD learning rate per step (the course uses 0.01 without momentum: too slow for 2,000 images)
MOMENTUM = 0.9  # keeps a running direction across steps; the small sample needs it to learn in 4 epochs
SEED = 0


@dataclass
class EpochRow:
    epoch: int
    train_loss: float  # mean cross-entropy per training image
    test_loss: float  # mean cross-entropy per test image
    test_accuracy: float  # 0..1


@dataclass
class Result:
    data: str  # which CIFAR-10 was used
    device: str
    train_size: int
    test_size: int
    steps: int  # optimiser steps taken in all
    epochs: list[EpochRow]
    tb_dir: Path  # tensorboard --logdir <this>
    checkpoints: list[Path]  # one per epoch; the last is what lesson 20 (predict) uses


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto", epochs: int = EPOCHS) -> Result:
    out = writable_dir(Path(out))
    target = pick_device(device)
    seed_everything(SEED)

    # 1. data: ToTensor only (CifarDataset without a transform gives (3, 32, 32) floats in [0, 1])
    data = find_cifar10(data_dir)
    train_set, test_set = CifarDataset(data.train), CifarDataset(data.test)
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True,
                              generator=torch.Generator().manual_seed(SEED))
    test_loader = DataLoader(test_set, batch_size=256)  # no gradients at test time: bigger batches are fine

    # 2. model, loss, optimiser — created after .to(device), so the optimiser holds the moved parameters
    model = Tudui(num_classes=len(data.classes)).to(target)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    state = TrainState(model=model, optimizer=optimizer, loss_fn=loss_fn)

    # 3. after every epoch: the engine has evaluated on the test set and logged to TensorBoard; we save
    tracker = TensorBoardTracker(out / "tb")
    checkpoints: list[Path] = []

    def save(record: EpochRecord, result: EvalResult, history: History) -> None:
        path = out / f"tudui_{record.epoch}.pt"  # the course saves tudui_{i}.pth every epoch
        save_checkpoint(make_checkpoint(model, model_name="tudui", classes=data.classes, mean=(0.0, 0.0, 0.0),
                                        std=(1.0, 1.0, 1.0), epoch=record.epoch,
                                        test_accuracy=record.test_accuracy), path)
        checkpoints.append(path)

    # 4. the loop: train one epoch → evaluate → log → save, `epochs` times
    try:
        history = fit(state, train_loader, test_loader, target, epochs=epochs, num_classes=len(data.classes),
                      tracker=tracker, on_epoch_end=save)
    finally:
        tracker.close()
    rows = [EpochRow(e.epoch, e.train_loss, e.test_loss, e.test_accuracy) for e in history.epochs]
    return Result(data=data.describe(), device=str(target), train_size=len(train_set), test_size=len(test_set),
                  steps=history.step, epochs=rows, tb_dir=out / "tb", checkpoints=checkpoints)


def describe(result: Result) -> str:
    lines = [result.data, f"device {result.device}: {result.train_size:,} training / {result.test_size:,} test "
             f"images, {result.steps} steps of {BATCH_SIZE}"]
    for row in result.epochs:
        lines.append(f"epoch {row.epoch}: train_loss {row.train_loss:.4f}  test_loss {row.test_loss:.4f}  "
                     f"test_accuracy {100 * row.test_accuracy:.1f}%")
    lines.append(f"saved {', '.join(p.name for p in result.checkpoints)} in {result.checkpoints[-1].parent}")
    lines.append(f"see the curves: tensorboard --logdir {result.tb_dir}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("pipeline", argv)


if __name__ == "__main__":
    raise SystemExit(main())
