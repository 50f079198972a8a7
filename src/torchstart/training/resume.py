"""Continuing a stopped run: `torchstart train --resume RUN_DIR`.

`checkpoints/last.pt` holds everything the next epoch depends on: the weights, the optimiser
(momentum buffers), the learning-rate schedule's position, Lookahead's slow weights, the fp16 grad scaler, the random
generators (torch CPU and CUDA; Python's `random` and NumPy's are not used while training), the
history of finished epochs and the configuration. The data order needs nothing saved: each
epoch's permutation and augmentation draws are seeded by (seed, epoch). So a run resumed from
epoch N takes exactly the steps an uninterrupted run takes after epoch N and, on the same
device, ends with the same weights and accuracy.

The configuration comes from the checkpoint. Flags given with `--resume` must agree with it,
except `--epochs` (train longer, e.g. extend a finished run), `--device` and `--quiet`. With the
one-cycle schedule a changed `--epochs` stretches the schedule: the learning rate continues
from where the longer schedule would be at this step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..config import RESUMABLE_FIELDS, TRAIN_FLAGS, TrainConfig, config_value, with_overrides
from ..data import ImageData
from ..errors import CheckpointError, ConfigError
from ..files import check_input, kind_of
from ..folder_lock import refuse_if_busy
from ..i18n import _
from .checkpoint import DAMAGED_FIX, load_checkpoint, training_config, unwrap
from .engine import EpochRecord, History, TrainState
from .rundir import default_run_dir, last_checkpoint_path


@dataclass(frozen=True)
class ResumePoint:
    """Where a stopped run continues: its configuration (`out` = its directory) and its last.pt, read once."""

    config: TrainConfig
    checkpoint: dict[str, Any]

    @property
    def epochs_done(self) -> int:
        return int(self.checkpoint["epoch"])


def resume_point(run_dir: Path, **flags: Any) -> ResumePoint:
    """The run in `run_dir` with the changeable `flags` applied, ready for `job.train(…, resume=…)`.

    `flags` are config fields named like `with_overrides` takes them (None = flag not given); only
    config.RESUMABLE_FIELDS may differ from the run's own values.
    Raises ConfigError for a flag that contradicts the run, and when nothing is left to train.
    """
    run_dir = check_input(Path(run_dir), expect="dir", what="--resume", error=ConfigError,
                          fix=_("pass a run directory, e.g. runs/<date-time>"))
    path = last_checkpoint_path(run_dir)
    if kind_of(path, "--resume", ConfigError) != "file":
        refuse_if_busy(run_dir, None)  # a run still in its first epoch: name it, rather than "nothing to resume"
        raise ConfigError(_("{path} has no checkpoints/last.pt to resume from").format(path=run_dir),
                          missing_last_fix(run_dir))
    checkpoint = load_checkpoint(path)
    stored = training_config(checkpoint, path)
    saved_history(checkpoint)  # refuse a damaged history now, before any data is read
    given = {k: v for k, v in flags.items() if v is not None}
    out = given.pop("out", None)
    if out is not None and Path(out).resolve() != run_dir.resolve():
        raise ConfigError(_("--out {out} differs from the run being resumed ({path})").format(out=out, path=run_dir),
                          _("leave --out out: a resumed run writes into its own directory"))
    for name, value in given.items():
        if name not in RESUMABLE_FIELDS and with_overrides(stored, **{name: value}) != stored:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(_("{flag} {value} differs from the run's own {own!r}").format(
                flag=flag, value=value, own=config_value(stored, name)),
                _("leave {flag} out (a resumed run keeps its configuration; only {flags} may change) or start a "
                  "new run").format(flag=flag, flags=", ".join("--" + c.replace("_", "-") for c in RESUMABLE_FIELDS)))
    resumable = {k: v for k, v in given.items() if k in RESUMABLE_FIELDS}
    point = ResumePoint(with_overrides(stored, out=run_dir, **resumable).validate(), checkpoint)
    if point.config.epochs <= point.epochs_done:
        raise ConfigError(_("{path} has already trained {done} of {epochs} epochs").format(
            path=run_dir, done=point.epochs_done, epochs=point.config.epochs),
            _("train longer with: {command}").format(
                command=f"torchstart train --resume {run_dir} --epochs {point.epochs_done + 5}"))  # not text
    return point


def restarted_run(config: TrainConfig) -> ResumePoint | None:
    """Under `torchrun --max-restarts=N`: the run a restarted worker group continues; None on a first start.

    torchrun counts restarts in TORCHELASTIC_RESTART_COUNT and starts the same command again. When that
    command's run directory already has a last.pt, the workers continue from it by themselves (torchrun's
    convention for fault tolerance), with the same checks as --resume.
    """
    if int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") or 0) == 0:
        return None
    run_dir = config.out or default_run_dir()
    if kind_of(last_checkpoint_path(run_dir), "--out", ConfigError) != "file":
        return None  # stopped before its first epoch finished: start it again
    return resume_point(run_dir, **{f.field: config_value(config, f.field) for f in TRAIN_FLAGS if f.field != "out"})


def missing_last_fix(run_dir: Path) -> str:
    """What to do when a run has no last.pt: best.pt holds the same full training state, when it is there."""
    best = Path(run_dir) / "checkpoints" / "best.pt"
    if kind_of(best, "--resume", ConfigError) == "file":
        return _("{best} holds the full training state of the best epoch: copy it to last.pt to continue from "
                 "there ({command}), or start a new run").format(
            best=best, command=f"cp {best} {last_checkpoint_path(run_dir)}")
    return _("no epoch of it finished (or it is not a run directory): start a new run, torchstart train --out DIR")


def training_state(state: TrainState, history: History) -> dict[str, Any]:
    """What last.pt needs beyond the weights to continue exactly where training stands now."""
    cuda_ready = torch.cuda.is_available() and torch.cuda.is_initialized()
    return {
        "optimizer_state": state.optimizer.state_dict(),
        "scheduler_state": None if state.scheduler is None else state.scheduler.state_dict(),
        "scaler_state": None if state.scaler is None else state.scaler.state_dict(),
        "lookahead_state": None if state.lookahead is None else state.lookahead.state_dict(),
        "rng_state": torch.get_rng_state(),
        "cuda_rng_states": torch.cuda.get_rng_state_all() if cuda_ready else [],
        "epoch": len(history.epochs),
        "step": history.step,
        "best_test_accuracy": history.best_test_accuracy,
        "history": {"epochs": [e.to_dict() for e in history.epochs], "best_test_accuracy": history.best_test_accuracy,
                    "best_epoch": history.best_epoch, "step": history.step},
    }


def restore(state: TrainState, checkpoint: dict[str, Any]) -> History:
    """Load `checkpoint` (from `training_state` + weights) into `state` and the RNGs; return its history.

    Call it after everything that draws random numbers at start-up (model initialisation), so the
    generators continue from where the interrupted run left them.
    """
    history = saved_history(checkpoint)  # first: a damaged history changes nothing
    try:
        unwrap(state.model).load_state_dict(checkpoint["model_state"])
        state.optimizer.load_state_dict(checkpoint["optimizer_state"])
        if state.scheduler is not None and checkpoint.get("scheduler_state") is not None:
            state.scheduler.load_state_dict(checkpoint["scheduler_state"])
        if state.scaler is not None and checkpoint.get("scaler_state") is not None:
            state.scaler.load_state_dict(checkpoint["scaler_state"])
        if state.lookahead is not None:
            state.lookahead.load_state_dict(checkpoint["lookahead_state"])
        torch.set_rng_state(checkpoint["rng_state"])
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError, IndexError) as err:  # another shape
        detail = str(err).splitlines()[0][:120] if str(err) else _("missing")
        raise CheckpointError(_("last.pt holds damaged training state ({reason})").format(
            reason=f"{type(err).__name__}: {detail}"), _(DAMAGED_FIX)) from None
    if torch.cuda.is_available():
        for index, rng in enumerate(checkpoint.get("cuda_rng_states", [])[: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(rng, index)
    return history


def saved_history(checkpoint: dict[str, Any]) -> History:
    """The History a training checkpoint stores; CheckpointError when it is damaged."""
    try:
        saved = checkpoint["history"]
        return History(epochs=[EpochRecord(**e) for e in saved["epochs"]],
                       best_test_accuracy=float(saved["best_test_accuracy"]), best_epoch=int(saved["best_epoch"]),
                       step=int(saved["step"]))
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(_("last.pt holds a damaged training history ({reason})").format(
            reason=f"{type(err).__name__}: {err}"), _(DAMAGED_FIX)) from None


def check_same_data(point: ResumePoint, data: ImageData) -> None:
    """Refuse to continue a run on other data than it was trained on."""
    before = point.checkpoint.get("data_source")
    if before != data.source:
        raise ConfigError(_("{path} was trained on {before}, but this time the data search found {now}").format(
            path=point.config.out, before=before, now=data.source),
            _("pass the run's data with --data-dir"))
