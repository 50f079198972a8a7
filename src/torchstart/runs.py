"""A training run from a TrainConfig: data, model, loop, run directory — the `torchstart train` job.

`train(config)` wires the pieces together and calls the one loop (`engine.fit`). After every
epoch it writes `checkpoints/last.pt` (and `best.pt` when the test accuracy improved) and
rewrites `metrics.json`, so a run stopped at any point keeps every finished epoch.

Run directory layout:
    metrics.json            config, data source, device, versions, one record per epoch
    checkpoints/last.pt     the latest epoch (model + optimiser + scheduler + RNG state)
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

from . import __version__
from .checkpoint import atomic_write, make_checkpoint, save_checkpoint
from .config import TrainConfig, to_dict
from .data import CIFAR10_MEAN, CIFAR10_STD, Cifar10Data, TensorLoader, find_cifar10
from .device import (
    DeviceInfo,
    configure_backends,
    describe_device,
    pick_device,
    precision_name,
    resolve_precision,
    seed_everything,
)
from .engine import EpochRecord, EvalResult, History, TrainState, fit
from .errors import ConfigError
from .models import build_model, count_parameters
from .optim import build_optimizer, build_scheduler
from .tracking import TensorBoardTracker, plot_confusion, plot_curves

DRY_RUN_BATCHES = 3  # train and test batches per epoch in a dry run


@dataclass
class TrainResult:
    run_dir: Path
    history: History
    data: str  # the "using CIFAR-10 from …" line
    device: DeviceInfo
    best_checkpoint: Path
    last_checkpoint: Path


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


def prepare_run_dir(path: Path) -> Path:
    """The run directory with its checkpoints/ folder, checked writable up front."""
    writable_dir(path / "checkpoints")
    return path


def normalization(config: TrainConfig) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) of pixel/255 used for inputs; (0,0,0)/(1,1,1) is the course's plain ToTensor."""
    return (CIFAR10_MEAN, CIFAR10_STD) if config.data.normalize else ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))


def make_loaders(data: Cifar10Data, config: TrainConfig, device: torch.device,
                 rank: int = 0, world_size: int = 1) -> tuple[TensorLoader, TensorLoader]:
    """The training loader (shuffled, augmented per the recipe) and the test loader."""
    mean, std = normalization(config)
    train = data.train
    if config.data.max_train_images:
        train = train.subset(config.data.max_train_images, config.seed)
    max_batches = DRY_RUN_BATCHES if config.dry_run else None
    train_loader = TensorLoader(
        train.images, train.labels, batch_size=config.batch_size, device=device, mean=mean, std=std,
        shuffle=True, seed=config.seed, crop_padding=config.data.crop_padding, flip=config.data.flip,
        channels_last=config.channels_last, max_batches=max_batches, rank=rank, world_size=world_size)
    test_loader = TensorLoader(
        data.test.images, data.test.labels, batch_size=config.eval_batch_size, device=device, mean=mean,
        std=std, channels_last=config.channels_last, max_batches=max_batches)
    return train_loader, test_loader


def build_state(config: TrainConfig, num_classes: int, device: torch.device, total_steps: int) -> TrainState:
    """Model, optimiser, schedule and precision for `config`, on `device`."""
    model = build_model(config.model, num_classes=num_classes).to(device)
    if config.channels_last:
        model = model.to(memory_format=torch.channels_last)
    amp_dtype = resolve_precision(config.precision, device)
    optimizer = build_optimizer(model, config.optim)
    scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 and device.type == "cuda" else None
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
                 train_images: int) -> dict[str, Any]:
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
        "cuda_version": info.cuda_version,
        "finished": False, "best_test_accuracy": 0.0, "best_epoch": 0, "epochs": [],
    }


def write_json(path: Path, payload: dict[str, Any]) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(payload, indent=2).encode("utf-8")))


def train(config: TrainConfig, *, report: Callable[[str], None] = lambda line: None,
          on_epoch: Callable[[EpochRecord], None] | None = None) -> TrainResult:
    """Run the training job `config` describes; `report` receives the setup lines to show a learner."""
    config.validate()
    seed_everything(config.seed)
    device = pick_device(config.device)
    configure_backends(device)
    data = find_cifar10(config.data.data_dir, config.data.download)
    run_dir = prepare_run_dir(config.out or default_run_dir())
    report(data.describe())

    train_loader, test_loader = make_loaders(data, config, device)
    state = build_state(config, len(data.classes), device, total_steps=config.epochs * len(train_loader))
    info = describe_device(device)
    mean, std = normalization(config)
    report(f"device: {info.device} ({info.name}), precision {precision_name(state.amp_dtype)}; "
           f"recipe {config.recipe}: {config.epochs} epochs × {len(train_loader)} steps of {config.batch_size}, "
           f"{config.optim.name} lr {config.optim.lr}; model {config.model} "
           f"({count_parameters(state.model):,} parameters)")
    report(f"run directory: {run_dir}")

    metrics = run_metadata(config, data, info, state, train_loader.num_images)
    tracker = TensorBoardTracker(run_dir / "tb")
    best_path, last_path = run_dir / "checkpoints" / "best.pt", run_dir / "checkpoints" / "last.pt"
    best_confusion: list[torch.Tensor] = []

    def on_epoch_end(record: EpochRecord, result: EvalResult, history: History) -> None:
        checkpoint = make_checkpoint(
            state.model, model_name=config.model, classes=data.classes, mean=mean, std=std,
            optimizer_state=state.optimizer.state_dict(), scheduler_state=state.scheduler.state_dict(),
            epoch=record.epoch, step=history.step, test_accuracy=record.test_accuracy,
            best_test_accuracy=history.best_test_accuracy, config=to_dict(config),
            rng_state=torch.get_rng_state(), data_source=data.source)
        save_checkpoint(checkpoint, last_path)
        if history.best_epoch == record.epoch:  # same checkpoint: copy the bytes instead of pickling again
            atomic_write(best_path, lambda f: f.write(last_path.read_bytes()))
            best_confusion[:] = [result.confusion]
        metrics.update(best_test_accuracy=history.best_test_accuracy, best_epoch=history.best_epoch,
                       epochs=[e.to_dict() for e in history.epochs])
        write_json(run_dir / "metrics.json", metrics)
        if on_epoch is not None:
            on_epoch(record)

    try:
        history = fit(state, train_loader, test_loader, device, epochs=config.epochs,
                      num_classes=len(data.classes), tracker=tracker,
                      progress=not config.quiet and sys.stderr.isatty(), on_epoch_end=on_epoch_end)
    finally:
        tracker.close()
    metrics.update(finished=True)
    write_json(run_dir / "metrics.json", metrics)
    plot_curves(metrics["epochs"], run_dir / "curves.png")
    if best_confusion:
        plot_confusion(best_confusion[0], data.classes, run_dir / "confusion_matrix.png")
    return TrainResult(run_dir, history, data.describe(), info, best_path, last_path)
