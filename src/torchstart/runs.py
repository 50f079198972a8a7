"""A training run from a TrainConfig: data, model, loop, run directory — the `torchstart train` job.

`train(config)` wires the pieces together and calls the one loop (`engine.fit`). After every
epoch it writes `checkpoints/last.pt` (and `best.pt` when the test accuracy improved) and
rewrites `metrics.json`, so a run stopped at any point keeps every finished epoch.

A run stopped by Ctrl-C, a crash or a kill continues with `train(resume_config(run_dir), resume=True)`
(see resume.py). Under torchrun every process calls `train`; rank 0 alone writes (see distributed.py).

Run directory layout:
    metrics.json            config, data source, device, versions, status, one record per epoch
    checkpoints/last.pt     the latest epoch (model + optimiser + scheduler + RNG state + history)
    checkpoints/best.pt     the epoch with the best test accuracy
    tb/                     TensorBoard events (train_loss, test_loss, test_accuracy, lr, …)
    curves.png              loss and accuracy per epoch
    confusion_matrix.png    the best epoch's test confusion matrix
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn

from . import __version__, distributed
from .checkpoint import atomic_write, load_checkpoint, make_checkpoint, save_checkpoint
from .config import TrainConfig, to_dict
from .data import CIFAR10_MEAN, CIFAR10_STD, Cifar10Data, TensorLoader
from .data.imagefolder import FolderData, channel_stats, find_data
from .device import (
    DeviceInfo,
    configure_backends,
    describe_device,
    pick_device,
    precision_name,
    resolve_precision,
    seed_everything,
)
from .distributed import SINGLE, Ranks, per_rank_batch, ranks_from_env
from .engine import EpochRecord, EvalResult, History, TrainingDiverged, TrainState, fit
from .errors import ConfigError
from .models import build_model, count_parameters, freeze_backbone, preprocessing
from .optim import build_optimizer, build_scheduler
from .resume import checkpoint_to_resume, last_checkpoint_path, restore, resumed_metadata, training_state
from .tracking import NullTracker, TensorBoardTracker, plot_confusion, plot_curves
from .transfer import StartingPoint, starting_point

DRY_RUN_BATCHES = 3  # train and test batches per epoch in a dry run
FEW_STEPS = 10  # fewer optimiser steps per epoch than this: suggest a smaller batch


@dataclass
class TrainResult:
    run_dir: Path
    history: History
    data: str  # the "using CIFAR-10 from …" line
    device: DeviceInfo
    best_checkpoint: Path
    last_checkpoint: Path
    is_main: bool = True  # False on torchrun ranks other than 0, which neither write nor print


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; `epochs_saved` finished epochs are in the run directory's last.pt."""

    def __init__(self, run_dir: Path, epochs_saved: int) -> None:
        super().__init__(f"interrupted after {epochs_saved} saved epoch(s) in {run_dir}")
        self.run_dir, self.epochs_saved = run_dir, epochs_saved


def default_run_dir(root: Path = Path("runs")) -> Path:
    """runs/<YYYYmmdd-HHMMSS>, with a suffix if two runs start in the same second."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate, n = root / stamp, 1
    while candidate.exists():
        n += 1
        candidate = root / f"{stamp}-{n}"
    return candidate


def writable_dir(path: Path) -> Path:
    """Create `path` and prove it is writable before any time is spent filling it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as err:
        raise ConfigError(f"cannot write the output directory {path} ({err.strerror or err})",
                          "pass a writable folder with --out, or free disk space") from None
    return path


WRITTEN_ATOMICALLY = ("metrics.json", "checkpoints/last.pt", "checkpoints/best.pt")


def prepare_run_dir(path: Path) -> Path:
    """The run directory with its checkpoints/ folder, checked writable up front.

    Also deletes temp files a killed save left behind (`atomic_write` names them `.NAME.*.tmp`).
    """
    writable_dir(path / "checkpoints")
    for name in WRITTEN_ATOMICALLY:
        target = path / name
        for stale in target.parent.glob(f".{target.name}.*.tmp"):
            stale.unlink(missing_ok=True)
    return path


def input_side(config: TrainConfig) -> int:
    """Side in pixels that image-folder inputs are resized to: --image-size, else what the model expects."""
    declared = preprocessing(config.model)
    return config.image_size or (declared[0] if declared else 32)


def normalization(config: TrainConfig, data: Cifar10Data) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) of pixel/255 used for inputs; (0,0,0)/(1,1,1) is the course's plain ToTensor.

    Pretrained ImageNet models use the statistics their weights declare; the course model uses
    CIFAR-10's on CIFAR-10 and the training images' own on an image folder.
    """
    declared = preprocessing(config.model)
    if declared is not None:
        return declared[1], declared[2]
    if not config.data.normalize:
        return (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    return channel_stats(data.train) if isinstance(data, FolderData) else (CIFAR10_MEAN, CIFAR10_STD)


def make_loaders(data: Cifar10Data, config: TrainConfig, device: torch.device,
                 rank: int = 0, world_size: int = 1) -> tuple[TensorLoader, TensorLoader]:
    """The training loader (shuffled, augmented per the recipe) and the test loader.

    With `world_size` > 1 processes the training loader yields this rank's share of every global
    batch (`config.batch_size` / world_size images) and skips a last, incomplete global batch so
    every rank takes the same steps; each rank evaluates the whole test set.
    """
    mean, std = normalization(config, data)
    train = data.train
    if config.data.max_train_images:
        train = train.subset(config.data.max_train_images, config.seed)
    max_batches = DRY_RUN_BATCHES if config.dry_run else None
    train_loader = TensorLoader(
        train.images, train.labels, batch_size=per_rank_batch(config.batch_size, world_size), device=device,
        mean=mean, std=std, shuffle=True, seed=config.seed, crop_padding=config.data.crop_padding,
        flip=config.data.flip, channels_last=config.channels_last, drop_last=world_size > 1,
        max_batches=max_batches, rank=rank, world_size=world_size)
    test_loader = TensorLoader(
        data.test.images, data.test.labels, batch_size=config.eval_batch_size, device=device, mean=mean,
        std=std, channels_last=config.channels_last, max_batches=max_batches)
    return train_loader, test_loader


def build_state(config: TrainConfig, num_classes: int, device: torch.device, total_steps: int,
                ranks: Ranks = SINGLE, start: StartingPoint | None = None) -> TrainState:
    """Model (DDP-wrapped under torchrun), optimiser, schedule and precision for `config`, on `device`.

    `start`: the model with its starting weights and trainable parameters (transfer.starting_point);
    None = a fresh model (a resumed run, whose checkpoint then replaces the weights).
    """
    model = (start.model if start is not None else build_model(config.model, num_classes=num_classes)).to(device)
    if config.channels_last:
        model = model.to(memory_format=torch.channels_last)
    amp_dtype = resolve_precision(config.precision, device)
    if start is None and config.freeze_backbone:
        freeze_backbone(model, config.model)
    optimizer = build_optimizer(model, config.optim)  # only parameters with requires_grad
    scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 and device.type == "cuda" else None
    model = distributed.wrap(model, ranks, device)
    return TrainState(
        model=torch.compile(model) if config.compile else model,
        optimizer=optimizer,
        scheduler=build_scheduler(optimizer, config.optim, total_steps),
        scaler=scaler,
        loss_fn=nn.CrossEntropyLoss(label_smoothing=config.optim.label_smoothing),
        amp_dtype=amp_dtype,
        grad_clip=config.optim.grad_clip,
    )


def run_metadata(config: TrainConfig, data: Cifar10Data, info: DeviceInfo, state: TrainState,
                 train_images: int, world_size: int = 1) -> dict[str, Any]:
    """The header of metrics.json: what ran, on what, with which data; `epochs` is filled as training goes."""
    return {
        "torchstart_version": __version__,
        "created": datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "config": to_dict(config),
        "data": {"source": data.source, "layout": data.layout, "train_images": train_images,
                 "test_images": len(data.test), "classes": list(data.classes)},
        "device": info.device, "device_name": info.name, "precision": precision_name(state.amp_dtype),
        "torch_version": str(torch.__version__), "torchvision_version": torchvision.__version__,
        "cuda_version": info.cuda_version, "processes": world_size,
        "finished": False, "status": "running", "best_test_accuracy": 0.0, "best_epoch": 0, "epochs": [],
    }


def write_json(path: Path, payload: dict[str, Any]) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(payload, indent=2).encode("utf-8")))


def setup_lines(config: TrainConfig, info: DeviceInfo, state: TrainState, steps: int, world_size: int,
                start: StartingPoint | None) -> list[str]:
    """What a run says about itself before the first step: device, schedule, model, starting weights."""
    batch = f"{config.batch_size}" if world_size == 1 else \
        f"{config.batch_size} ({world_size} processes × {config.batch_size // world_size})"
    lines = [f"device: {info.device} ({info.name}), precision {precision_name(state.amp_dtype)}; "
             f"recipe {config.recipe}: {config.epochs} epochs × {steps} steps of {batch}, "
             f"{config.optim.name} lr {config.optim.lr}; model {config.model} "
             f"({count_parameters(state.model):,} parameters)"]
    if start is not None:
        lines.append(f"start: {start.source}")
    if steps < FEW_STEPS and config.batch_size > 16:
        lines.append(f"note: only {steps} steps per epoch; on a small data set a smaller batch gives the optimiser "
                     f"more steps, e.g. --batch-size {max(8, config.batch_size // 8)}")
    return lines


def train(config: TrainConfig, *, resume: bool = False, report: Callable[[str], None] = lambda line: None,
          on_epoch: Callable[[EpochRecord], None] | None = None) -> TrainResult:
    """Run the training job `config` describes; `report` receives the setup lines to show a learner.

    resume: continue the run in `config.out` from its checkpoints/last.pt (build `config` with
    `resume.resume_config`). Under torchrun this is called by every process (see distributed.py).
    Raises TrainingInterrupted on Ctrl-C and TrainingDiverged on a NaN/inf loss, both after
    marking metrics.json; last.pt then still holds the last finished epoch.
    """
    config.validate()
    ranks = ranks_from_env()
    per_rank_batch(config.batch_size, ranks.world_size)  # refuse an uneven split before any work
    seed_everything(config.seed)
    device = distributed.start(ranks, pick_device(config.device))
    try:
        if not ranks.is_main:
            report, on_epoch = (lambda line: None), None
        return _train(config, ranks, device, resume, report, on_epoch)
    finally:
        distributed.stop()


def _train(config: TrainConfig, ranks: Ranks, device: torch.device, resume: bool,
           report: Callable[[str], None], on_epoch: Callable[[EpochRecord], None] | None) -> TrainResult:
    configure_backends(device)
    data = find_data(config.data.data_dir, config.data.download, image_size=input_side(config),
                     val_fraction=config.data.val_fraction, seed=config.seed)
    checkpoint = checkpoint_to_resume(config, data) if resume else None
    run_dir = distributed.share(config.out or default_run_dir(), ranks)
    if ranks.is_main:
        prepare_run_dir(run_dir)
    report(data.describe())

    train_loader, test_loader = make_loaders(data, config, device, ranks.rank, ranks.world_size)
    start = None if resume else starting_point(config, len(data.classes))
    state = build_state(config, len(data.classes), device, config.epochs * len(train_loader), ranks, start)
    history = restore(state, checkpoint) if checkpoint is not None else History()  # after model init: RNG
    info = describe_device(device)
    for line in setup_lines(config, info, state, len(train_loader), ranks.world_size, start):
        report(line)
    report(f"run directory: {run_dir}" + (f" (resuming after epoch {len(history.epochs)})" if resume else ""))

    metrics = run_metadata(config, data, info, state, train_loader.num_images * ranks.world_size, ranks.world_size)
    if resume:
        metrics = resumed_metadata(run_dir, config, metrics, len(history.epochs))
    metrics.update(epochs=[e.to_dict() for e in history.epochs])
    if start is not None:  # what the run started from and what it trained (a resume keeps the first run's)
        metrics.update(start=start.source, trained_parameters=list(start.trained),
                       trained_parameter_count=sum(p.numel() for p in start.model.parameters() if p.requires_grad))
    mean, std = normalization(config, data)
    input_size = tuple(data.train.images.shape[1:3])  # (H, W) the model was trained at
    best_path, last_path = run_dir / "checkpoints" / "best.pt", last_checkpoint_path(run_dir)

    def write_metrics(**changes: Any) -> None:
        metrics.update(changes)
        if ranks.is_main:
            write_json(run_dir / "metrics.json", metrics)

    def on_epoch_end(record: EpochRecord, result: EvalResult, history: History) -> None:
        if not ranks.is_main:
            return
        checkpoint = make_checkpoint(
            state.model, model_name=config.model, classes=data.classes, mean=mean, std=std, input_size=input_size,
            test_accuracy=record.test_accuracy, test_confusion=result.confusion, config=to_dict(config),
            data_source=data.source, **training_state(state, history))
        save_checkpoint(checkpoint, last_path)
        if history.best_epoch == record.epoch:  # same checkpoint: copy the bytes instead of pickling again
            atomic_write(best_path, lambda f: f.write(last_path.read_bytes()))
        write_metrics(best_test_accuracy=history.best_test_accuracy, best_epoch=history.best_epoch,
                      epochs=[e.to_dict() for e in history.epochs])
        if on_epoch is not None:
            on_epoch(record)

    write_metrics()
    # purge_step: TensorBoard hides the per-step points a killed run logged after its last checkpoint (steps >
    # history.step); an epoch's points logged just before a kill come again, with the same values.
    tracker = TensorBoardTracker(run_dir / "tb", purge_step=history.step + 1 if resume else None) \
        if ranks.is_main else NullTracker()
    try:
        history = fit(state, train_loader, test_loader, device, epochs=config.epochs, num_classes=len(data.classes),
                      history=history, tracker=tracker, world_size=ranks.world_size,
                      progress=not config.quiet and ranks.is_main and sys.stderr.isatty(), on_epoch_end=on_epoch_end)
    except KeyboardInterrupt:
        write_metrics(status="interrupted")
        raise TrainingInterrupted(run_dir, len(metrics["epochs"])) from None
    except TrainingDiverged as err:
        write_metrics(status="diverged", error=str(err))
        raise TrainingDiverged(err.cause, diverged_fix(config, last_path, len(metrics["epochs"]))) from None
    finally:
        tracker.close()
    write_metrics(finished=True, status="finished")
    for line in getattr(data, "skipped", ()):  # bad image files, reported once, after the work is done
        report(line)
    if ranks.is_main:
        plot_curves(metrics["epochs"], run_dir / "curves.png")
        plot_confusion(load_checkpoint(best_path)["test_confusion"], data.classes, run_dir / "confusion_matrix.png")
    return TrainResult(run_dir, history, data.describe(), info, best_path, last_path, ranks.is_main)


def diverged_fix(config: TrainConfig, last_path: Path, epochs_saved: int) -> str:
    kept = (f"the last good checkpoint (epoch {epochs_saved}) is {last_path}" if epochs_saved
            else "no epoch finished, so there is no checkpoint")
    return f"lower the learning rate and start a new run, e.g. --lr {config.optim.lr / 2:g}; {kept}"
