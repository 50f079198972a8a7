"""The `torchstart train` job: data → loaders → state → fit → finish, for one TrainConfig.

`train(config)` wires the pieces together and calls the one loop (`engine.fit`). After every
epoch the run directory (rundir.py) gets `checkpoints/last.pt`, `best.pt` when the test accuracy
improved, and a fresh `metrics.json`, so a run stopped at any point keeps every finished epoch.

A run stopped by Ctrl-C, a crash or a kill continues with
`train(point.config, resume=point)`, `point = resume.resume_point(run_dir)`.
Under torchrun every process calls `train`; rank 0 alone writes and reports (see distributed.py).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..config import TrainConfig, to_dict, with_overrides
from ..data import ImageData, TensorLoader, find_data
from ..device import DeviceInfo, configure_backends, describe_device, pick_device, seed_everything
from ..errors import PeerLost, ResourceError, TorchstartError, TrainingDiverged, TrainingInterrupted
from ..files import set_aside
from ..folder_lock import FolderLock
from ..i18n import _
from ..models import count_parameters
from ..precision import precision_line, precision_name, resolve_precision
from . import distributed
from .build import (
    Normalization,
    build_state,
    check_batch_size,
    check_image_size,
    fit_to_data,
    input_side,
    make_loaders,
    normalization,
)
from .checkpoint import make_checkpoint
from .distributed import Ranks, per_rank_batch, ranks_from_env
from .engine import EpochRecord, EvalResult, History, TrainState, fit
from .resume import ResumePoint, check_same_data, restore, training_state
from .rundir import RunDir, default_run_dir, existing_run, refuse_existing, run_header
from .tracking import NullTracker, TensorBoardTracker
from .transfer import StartingPoint, starting_point

FEW_STEPS = 10  # fewer optimiser steps per epoch than this: suggest a smaller batch
Report = Callable[[str], None]


@dataclass
class TrainResult:
    run_dir: Path
    history: History
    data: str  # the "using CIFAR-10 from …" line
    device: DeviceInfo
    best_checkpoint: Path
    last_checkpoint: Path
    is_main: bool = True  # False on torchrun ranks other than 0, which neither write nor print


def train(config: TrainConfig, *, resume: ResumePoint | None = None, overwrite: bool = False,
          report: Report = lambda line: None, on_epoch: Callable[[EpochRecord], None] | None = None) -> TrainResult:
    """Run the training job `config` describes; `report` receives the setup lines to show a learner.

    resume: continue the run `resume.resume_point` found (its config is `config`). A new run never
    writes over one in `config.out` that has a checkpoint: ConfigError, unless `overwrite`, which first
    renames the old run aside. Under torchrun this is called by every process (see distributed.py).
    Raises TrainingInterrupted on Ctrl-C (or SIGTERM, when the caller turns it into an interrupt) and
    TrainingDiverged on a NaN/inf loss, both after marking metrics.json; last.pt then still holds the
    last finished epoch.
    """
    config.validate()
    ranks = ranks_from_env()
    per_rank_batch(config.batch_size, ranks.world_size)  # refuse an uneven split before any work
    check_batch_size(config, ranks.world_size)  # and a training batch of one image for a BatchNorm model
    check_image_size(config)  # and pictures the model's pooling would shrink to nothing
    seed_everything(config.seed)
    device = distributed.start(ranks, pick_device(config.device))
    try:
        config, precision = settle_precision(config, device, ranks)
        if not ranks.is_main:
            report, on_epoch = (lambda line: None), None
        with ExitStack() as held:  # rank 0 holds the run directory until the job ends, however it ends
            run = _claim_run_dir(config, ranks, resume, overwrite, report, held)
            return _train(config, run, ranks, device, resume, report, on_epoch, precision)
    finally:
        distributed.stop()


def _claim_run_dir(config: TrainConfig, ranks: Ranks, resume: ResumePoint | None, overwrite: bool,
                   report: Report, held: ExitStack) -> RunDir:
    """The run directory, held by this job alone (until `held` closes) and sure to lose no finished run in it
    (rank 0 holds and looks; every rank agrees)."""
    path = distributed.share(config.out or default_run_dir(), ranks)
    lock = FolderLock(path, flag="--out" if resume is None else None)  # a resumed run has its own folder
    held.callback(lock.release)
    _hold(lock, ranks)
    if resume is None:
        found = distributed.share(existing_run(path) if ranks.is_main else None, ranks)
        if found is not None and not overwrite:
            raise refuse_existing(path, found)
        if found is not None:
            if ranks.is_main:
                lock.release()  # nothing of ours open in the old run as it moves (Windows renames no such folder)
                report(_("kept the old run aside as {path} (--overwrite)").format(path=set_aside(path)))
            _hold(lock, ranks)  # the new, empty run directory
    return RunDir(path, writes=ranks.is_main)


def _hold(lock: FolderLock, ranks: Ranks) -> None:
    """Rank 0 takes `lock` (the other ranks write nothing); its refusal is every rank's, so none waits for it."""
    refusal = None
    if ranks.is_main:
        try:
            lock.acquire()
        except TorchstartError as err:
            refusal = err
    refusal = distributed.share(refusal, ranks)
    if refusal is not None:
        raise refusal


def settle_precision(config: TrainConfig, device: torch.device, ranks: Ranks) -> tuple[TrainConfig, str]:
    """`config` with precision auto replaced by what it picks here (rank 0 decides for all), and the line that
    says it. The run's checkpoints then record the choice: `evaluate` and `--resume` repeat it rather than
    measure again (on a CPU auto measures bf16 against fp32, see precision.cpu_bf16_pays)."""
    if config.precision != "auto":
        return config, precision_line(config.precision, device)
    chosen, line = distributed.share((precision_name(resolve_precision("auto", device)),
                                      precision_line("auto", device)) if ranks.is_main else None, ranks)
    return with_overrides(config, precision=chosen), line


def _train(config: TrainConfig, run: RunDir, ranks: Ranks, device: torch.device, resume: ResumePoint | None,
           report: Report, on_epoch: Callable[[EpochRecord], None] | None, precision: str) -> TrainResult:
    configure_backends(device)
    # 1. data: what --data-dir holds (or the search), and how its pixels are standardised
    data = find_data(config.data.data_dir, config.data.download, image_size=input_side(config),
                     val_fraction=config.data.val_fraction, seed=config.seed)
    if resume is not None:
        check_same_data(resume, data)
    run.prepare()
    report(data.describe())
    norm = normalization(config, data)
    # 2. loaders: uint8 images on the device, batches built there
    train_loader, test_loader = make_loaders(data, config, norm, device, ranks)
    # 3. state: model (with its starting weights), optimiser, schedule — then a resumed run's own state
    start = None if resume is not None else starting_point(config, len(data.classes))
    fitted = fit_to_data(start.model, train_loader) if start is not None and start.fresh else 0
    if fitted:
        report(_("whitening layer fitted to the 2×2 patches of {n:,} training images").format(n=fitted))
    state = build_state(config, len(data.classes), device, config.epochs * len(train_loader), ranks, start,
                        steps_per_epoch=len(train_loader))
    history = restore(state, resume.checkpoint) if resume is not None else History()  # after model init: RNG
    info = describe_device(device)
    for line in setup_lines(config, info, state, len(train_loader), ranks.world_size, start, precision):
        report(line)
    report(_("run directory: {path} (resuming after epoch {epoch})").format(path=run.path, epoch=len(history.epochs))
           if resume else _("run directory: {path}").format(path=run.path))
    run.start(metrics_header(config, data, info, state, start, train_loader.num_images * ranks.world_size, ranks),
              history, resumed=resume is not None)

    def on_epoch_end(record: EpochRecord, result: EvalResult, history: History) -> None:
        run.save_epoch(epoch_checkpoint(config, data, norm, state, result, history), history, result.confusion)
        if on_epoch is not None:
            on_epoch(record)

    # 4. fit: the one loop, with TensorBoard; a stop keeps every finished epoch
    history = _fit(config, run, ranks, device, state, (train_loader, test_loader), history, resume is not None,
                   len(data.classes), on_epoch_end)
    # 5. finish: status, plots, and the files an image folder left out
    run.finish(data.classes)
    for line in data.skipped:  # bad image files, reported once, after the work is done
        report(line)
    return TrainResult(run.path, history, data.describe(), info, run.best, run.last, ranks.is_main)


def _fit(config: TrainConfig, run: RunDir, ranks: Ranks, device: torch.device, state: TrainState,
         loaders: tuple[TensorLoader, TensorLoader], history: History, resumed: bool, num_classes: int,
         on_epoch_end: Callable[[EpochRecord, EvalResult, History], None]) -> History:
    """engine.fit with TensorBoard; however it stops, metrics.json says how and last.pt keeps every finished epoch."""
    # purge_step: TensorBoard hides the per-step points a killed run logged after its last checkpoint (steps >
    # history.step); an epoch's points logged just before a kill come again, with the same values.
    tracker = TensorBoardTracker(run.tb, purge_step=history.step + 1 if resumed else None) \
        if ranks.is_main else NullTracker()
    try:
        return fit(state, *loaders, device, epochs=config.epochs, num_classes=num_classes, history=history,
                   tracker=tracker, world_size=ranks.world_size, on_epoch_end=on_epoch_end, tta=config.tta,
                   progress=not config.quiet and ranks.is_main and sys.stderr.isatty())
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM turned into an interrupt by the CLI
        run.write_metrics(status="interrupted")
        raise TrainingInterrupted(run.path, run.epochs_saved, getattr(stop, "signum", signal.SIGINT)) from None
    except TrainingDiverged as err:
        run.write_metrics(status="diverged", error=str(err))
        raise TrainingDiverged(err.cause, diverged_fix(config, run.last, run.epochs_saved)) from None
    except ResourceError as err:  # disk full mid-run: metrics.json cannot be updated either; last.pt is intact
        if not run.epochs_saved:
            raise
        raise ResourceError(err.cause, _("{fix}; epoch {epoch} is saved in {path}: then continue with torchstart train "
                                         "--resume {run}").format(fix=err.fix, epoch=run.epochs_saved, path=run.last,
                                                                  run=run.path)) from None
    except RuntimeError as err:
        if not distributed.peer_lost(err, ranks):
            raise
        run.write_metrics(status="interrupted")
        raise PeerLost(_("another torchrun process of this job stopped ({reason}); epoch {epoch} is saved in "
                         "{path}").format(reason=str(err).splitlines()[0][:100], epoch=run.epochs_saved, path=run.last),
                       _("torchrun --max-restarts=N restarts the group, which continues from last.pt by itself; or "
                         "run the same torchrun command with --resume {path}").format(path=run.path)) from None
    finally:
        tracker.close()


def metrics_header(config: TrainConfig, data: ImageData, info: DeviceInfo, state: TrainState,
                   start: StartingPoint | None, train_images: int, ranks: Ranks) -> dict[str, Any]:
    """metrics.json's header for this run, with what it started from and what it trains (new runs only)."""
    header = run_header(config, data, device=info.device, device_name=info.name, cuda_version=info.cuda_version,
                        precision=precision_name(state.amp_dtype), train_images=train_images,
                        processes=ranks.world_size)
    if start is not None:  # a resumed run keeps the first run's
        header.update(start=start.source, trained_parameters=list(start.trained),
                      trained_parameter_count=sum(p.numel() for p in start.model.parameters() if p.requires_grad))
    return header


def epoch_checkpoint(config: TrainConfig, data: ImageData, norm: Normalization, state: TrainState,
                     result: EvalResult, history: History) -> dict[str, Any]:
    """last.pt after an epoch: the weights and what predict needs, plus everything resume needs."""
    mean, std = norm
    return make_checkpoint(
        state.model, model_name=config.model, classes=data.classes, mean=mean, std=std,
        input_size=tuple(data.train.images.shape[1:3]),  # (H, W) the model was trained at
        # predict prepares a photo as the training images were: image folders were cropped (data/folders.py);
        # CIFAR-10 models get the course's test.py, Resize((32, 32)), which squashes a photo to 32×32
        resize="crop" if data.is_folder else "squash",
        test_accuracy=result.accuracy, test_confusion=result.confusion, config=to_dict(config),
        data_source=data.source, **training_state(state, history))


def setup_lines(config: TrainConfig, info: DeviceInfo, state: TrainState, steps: int, world_size: int,
                start: StartingPoint | None, precision: str) -> list[str]:
    """What a run says about itself before the first step: device, precision (and why), schedule, model, start."""
    batch = str(config.batch_size) if world_size == 1 else _("{batch} ({processes} processes × {each})").format(
        batch=config.batch_size, processes=world_size, each=config.batch_size // world_size)
    lines = [_("device: {device} ({name}), precision {precision}; recipe {recipe}: {epochs} epochs × {steps} steps "
               "of {batch}, {optimizer} lr {lr}; model {model} ({parameters} parameters)").format(
        device=info.device, name=info.name, precision=precision, recipe=config.recipe, epochs=config.epochs,
        steps=steps, batch=batch, optimizer=config.optim.name, lr=config.optim.lr, model=config.model,
        parameters=f"{count_parameters(state.model):,}")]
    if start is not None:
        lines.append(_("start: {source}").format(source=start.source))
    if steps < FEW_STEPS and config.batch_size > 16:
        lines.append(_("note: only {steps} steps per epoch; on a small data set a smaller batch gives the optimiser "
                       "more steps, e.g. --batch-size {batch}").format(
            steps=steps, batch=max(8, config.batch_size // 8)))
    return lines


def diverged_fix(config: TrainConfig, last_path: Path, epochs_saved: int) -> str:
    kept = (_("the last good checkpoint (epoch {epoch}) is {path}").format(epoch=epochs_saved, path=last_path)
            if epochs_saved else _("no epoch finished, so there is no checkpoint"))
    return _("lower the learning rate and start a new run, e.g. --lr {lr}; {kept}").format(
        lr=f"{config.optim.lr / 2:g}", kept=kept)
