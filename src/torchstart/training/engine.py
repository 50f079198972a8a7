"""The one training loop: `train_one_epoch`, `evaluate`, and `fit` over epochs.

Everything else (CLI, lessons, benchmarks) calls these. They take what they need as
arguments and return numbers; the only output they make is the progress bar and the
tracker they are given.

Loss bookkeeping: losses are summed on the device as `loss × batch size` and read once per
epoch, so the reported numbers are true means per image (the course printed the *sum* of
batch means, which depends on the batch size) and the GPU is not stalled every step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from tqdm import tqdm  # the text bar: the same in a terminal and in Jupyter, which needs no ipywidgets for it

from ..config import TTA_VIEWS
from ..device import keep_freed_memory
from ..errors import TrainingDiverged
from ..i18n import N_, _
from ..precision import autocast
from .averaging import Lookahead
from .tracking import NullTracker, Tracker

STEP_LOG_EVERY = 50  # steps between per-step train-loss points in TensorBoard (and NaN checks)
DIVERGED_FIX = N_("lower the learning rate, e.g. --lr half as big")  # shown with _(DIVERGED_FIX)


@dataclass
class EvalResult:
    loss: float  # mean cross-entropy per image
    accuracy: float  # fraction correct, 0..1
    confusion: torch.Tensor  # (K, K) int64 counts; row = true class, column = predicted

    @property
    def num_images(self) -> int:
        return int(self.confusion.sum())

    @property
    def per_class_accuracy(self) -> list[float]:
        """Accuracy of each true class (recall), 0..1."""
        totals = self.confusion.sum(dim=1).tolist()
        return [hits / max(total, 1) for hits, total in zip(self.confusion.diagonal().tolist(), totals)]


@dataclass
class EpochRecord:
    epoch: int  # 1-based
    train_loss: float  # mean per image (with label smoothing, if the recipe uses it)
    test_loss: float  # mean per image, plain cross-entropy
    test_accuracy: float  # 0..1
    epoch_seconds: float  # training + evaluation of this epoch
    elapsed_seconds: float  # since training started (resumes included)
    train_images_per_s: float  # training images / training seconds (evaluation excluded)
    lr: float  # learning rate at the end of the epoch
    train_images: int
    test_views: int = 1  # views averaged per test image (test-time augmentation: 1, 2 or 6)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class History:
    epochs: list[EpochRecord] = field(default_factory=list)
    best_test_accuracy: float = 0.0
    best_epoch: int = 0
    step: int = 0  # optimiser steps taken so far

    @property
    def elapsed_seconds(self) -> float:
        return self.epochs[-1].elapsed_seconds if self.epochs else 0.0


@dataclass
class TrainState:
    """What the loop steps: the model and its optimiser, scheduler and (fp16 only) grad scaler."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
    scaler: torch.amp.GradScaler | None = None
    loss_fn: nn.Module = field(default_factory=nn.CrossEntropyLoss)
    amp_dtype: torch.dtype | None = None  # autocast dtype; None = float32
    grad_clip: float | None = None  # max global gradient norm; None = no clipping
    lookahead: Lookahead | None = None  # slow weights blended in every few steps (averaging.py); None = off


def train_one_epoch(state: TrainState, loader: Iterable, device: torch.device, *, epoch: int = 0,
                    start_step: int = 0, tracker: Tracker | None = None,
                    progress: bool = False) -> tuple[float, int, int]:
    """One pass over `loader`. Returns (mean loss per image, images seen, steps taken)."""
    keep_freed_memory()  # the same activation buffers every step: keep them mapped (see device.keep_freed_memory)
    model, optimizer = state.model, state.optimizer
    tracker = tracker or NullTracker()
    model.train()
    loss_sum = torch.zeros((), device=device)
    # Steps before the first NaN/inf loss. Once one loss is not finite the running sum never is again
    # (nan + x = nan, inf + finite = inf), so counting the steps where the sum is still finite finds the
    # first bad step without reading the loss on the host every step (a GPU sync per step).
    finite_steps = torch.zeros((), dtype=torch.long, device=device)
    images = steps = 0
    bar = tqdm(total=len(loader), desc=_("epoch {epoch}").format(epoch=epoch), unit=_("batch"), leave=False,
               disable=not progress)
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with autocast(device, state.amp_dtype):
            loss = state.loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        if state.scaler is not None:
            state.scaler.scale(loss).backward()
            state.scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
        else:
            loss.backward()
        if state.grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), state.grad_clip)
        if state.scaler is not None:
            state.scaler.step(optimizer)
            state.scaler.update()
        else:
            optimizer.step()
        if state.scheduler is not None:
            state.scheduler.step()
        if state.lookahead is not None:
            state.lookahead.after_step(model, start_step + steps + 1)
        loss_sum += loss.detach().float() * y.shape[0]
        finite_steps += torch.isfinite(loss_sum)
        images += y.shape[0]
        steps += 1
        if steps % STEP_LOG_EVERY == 0:
            check_finite(loss_sum, finite_steps, steps, start_step, epoch)  # one sync every STEP_LOG_EVERY steps
            value = loss.item()
            tracker.log_scalar("train_loss_step", value, start_step + steps)
            bar.set_postfix_str(_("loss {loss:.3f}").format(loss=value))
        bar.update(1)
    bar.close()
    check_finite(loss_sum, finite_steps, steps, start_step, epoch)
    return (loss_sum / max(images, 1)).item(), images, steps


def check_finite(loss_sum: torch.Tensor, finite_steps: torch.Tensor, steps: int, start_step: int, epoch: int) -> None:
    """Raise TrainingDiverged naming the run's first step (1-based) whose loss was NaN or inf."""
    good = int(finite_steps)
    if good < steps:
        raise TrainingDiverged(_("the training loss became {loss} at step {step} (epoch {epoch})").format(
            loss=float(loss_sum), step=start_step + good + 1, epoch=epoch), _(DIVERGED_FIX))


def tta_logits(model: nn.Module, x: torch.Tensor, level: int) -> torch.Tensor:
    """Logits (B, K) of `x` (B, C, H, W) averaged over test-time augmented views; float32.

    Level 0: the image itself. Level 1: the mean over the image and its mirror image (a flipped cat is
    still a cat, and the model saw flips in training). Level 2: half of that, plus half the mean of the
    mirrored pair shifted one pixel up-left and one pixel down-right (reflect padding, as in training) —
    6 forward passes per image.
    """
    def mirrored(batch: torch.Tensor) -> torch.Tensor:
        return 0.5 * (model(batch).float() + model(batch.flip(-1)).float())

    if level == 0:
        return model(x).float()
    logits = mirrored(x)
    if level == 1:
        return logits
    h, w = x.shape[-2:]
    padded = nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")  # (B, C, H+2, W+2)
    shifted = 0.5 * (mirrored(padded[..., :h, :w]) + mirrored(padded[..., 2:, 2:]))
    return 0.5 * logits + 0.5 * shifted


@torch.inference_mode()
def evaluate(model: nn.Module, loader: Iterable, device: torch.device, num_classes: int,
             amp_dtype: torch.dtype | None = None, tta: int = 0) -> EvalResult:
    """Mean loss, accuracy and confusion matrix of `model` over `loader`; `tta` = test-time augmentation level."""
    model.eval()
    loss_sum = torch.zeros((), device=device)
    confusion = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device)
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with autocast(device, amp_dtype):
            logits = tta_logits(model, x, tta)
        loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum")
        # index_add_ rather than bincount: bincount reads its input's max on the host (a GPU sync per batch)
        confusion.index_add_(0, y * num_classes + logits.argmax(dim=1), torch.ones_like(y))
    confusion = confusion.view(num_classes, num_classes).cpu()
    n = int(confusion.sum())
    return EvalResult(loss=loss_sum.item() / max(n, 1), accuracy=confusion.trace().item() / max(n, 1),
                      confusion=confusion)


EpochCallback = Callable[[EpochRecord, EvalResult, History], None]


def fit(state: TrainState, train_loader, test_loader, device: torch.device, *, epochs: int,
        num_classes: int, history: History | None = None, tracker: Tracker | None = None,
        progress: bool = False, on_epoch_end: EpochCallback | None = None, world_size: int = 1,
        tta: int = 0) -> History:
    """Train until `epochs` epochs are done (continuing `history` when resuming) and return the history.

    After every epoch: evaluate on `test_loader`, log to `tracker`, then call `on_epoch_end`
    (the caller saves checkpoints and prints there). An epoch whose training or test loss is NaN
    or inf raises TrainingDiverged before `on_epoch_end`, so the last saved checkpoint stays good.
    `world_size` > 1: this is one of that many data-parallel processes, each seeing an equal share
    of the images; records count the images (and images/s) of all of them.
    `tta`: the test-time augmentation level of the last epoch's evaluation (earlier epochs use one view,
    which is 6× cheaper at level 2).
    """
    history = history or History()
    tracker = tracker or NullTracker()
    for epoch in range(len(history.epochs) + 1, epochs + 1):
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch - 1)
        start = time.perf_counter()
        train_loss, images, steps = train_one_epoch(state, train_loader, device, epoch=epoch,
                                                    start_step=history.step, tracker=tracker,
                                                    progress=progress)
        train_seconds = time.perf_counter() - start
        views = tta if epoch == epochs else 0
        result = evaluate(state.model, test_loader, device, num_classes, state.amp_dtype, views)
        if not math.isfinite(result.loss):  # e.g. the epoch's last step blew the weights up
            raise TrainingDiverged(_("the test loss became {loss} after epoch {epoch} (step {step})").format(
                loss=result.loss, epoch=epoch, step=history.step + steps), _(DIVERGED_FIX))
        seconds = time.perf_counter() - start
        history.step += steps
        record = EpochRecord(
            epoch=epoch, train_loss=train_loss, test_loss=result.loss, test_accuracy=result.accuracy,
            epoch_seconds=seconds, elapsed_seconds=history.elapsed_seconds + seconds,
            train_images_per_s=world_size * images / max(train_seconds, 1e-9),
            lr=state.optimizer.param_groups[0]["lr"], train_images=world_size * images, test_views=TTA_VIEWS[views],
        )
        history.epochs.append(record)
        if result.accuracy > history.best_test_accuracy or history.best_epoch == 0:
            history.best_test_accuracy, history.best_epoch = result.accuracy, epoch
        for tag in ("train_loss", "test_loss", "test_accuracy", "lr", "train_images_per_s"):
            tracker.log_scalar(tag, getattr(record, tag), epoch)
        tracker.flush()
        if on_epoch_end is not None:
            on_epoch_end(record, result, history)
    return history
