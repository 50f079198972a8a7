"""The run directory: everything one training run writes, kept up to date after every epoch.

    metrics.json            config, data source, device, versions, status, one record per epoch
    checkpoints/last.pt     the latest epoch (model + optimiser + scheduler + RNG state + history)
    checkpoints/best.pt     the epoch with the best test accuracy
    tb/                     TensorBoard events (train_loss, test_loss, test_accuracy, lr, …)
    curves.png              loss and accuracy per epoch
    confusion_matrix.png    the best epoch's test confusion matrix

Every file here is written atomically (files.atomic_write), after each finished epoch, so a run
stopped at any point keeps every finished epoch. `status` in metrics.json is one of running,
finished, interrupted, diverged. Under torchrun only rank 0 writes (`writes=False` elsewhere).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from .._version import __version__
from ..config import TrainConfig, to_dict
from ..data import ImageData
from ..errors import ConfigError
from ..files import atomic_write, kind_of, read_json, stale_temp_files, writable_dir, write_json
from ..folder_lock import command_line
from ..i18n import N_, _
from .checkpoint import load_checkpoint, save_checkpoint
from .engine import History
from .tracking import plot_confusion, plot_curves

METRICS = "metrics.json"
WRITTEN_ATOMICALLY = (METRICS, "checkpoints/last.pt", "checkpoints/best.pt")
# metrics.json's `status` values (they stay English in the file) as a learner reads them
STATUS_WORDS = {"running": N_("running"), "finished": N_("finished"), "interrupted": N_("interrupted"),
                "diverged": N_("diverged")}


def default_run_dir(root: Path = Path("runs")) -> Path:
    """runs/<YYYYmmdd-HHMMSS>, with a suffix if two runs start in the same second.

    Under torchrun (TORCHELASTIC_RUN_ID set) it is runs/torchrun-<run id> instead: the same for every
    restart of the job, so workers torchrun restarts find the run they continue (see resume.restarted_run).
    """
    if os.environ.get("TORCHELASTIC_RUN_ID"):
        return root / f"torchrun-{os.environ['TORCHELASTIC_RUN_ID']}"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate, n = root / stamp, 1
    while candidate.exists():
        n += 1
        candidate = root / f"{stamp}-{n}"
    return candidate


def last_checkpoint_path(run_dir: Path) -> Path:
    return Path(run_dir) / "checkpoints" / "last.pt"


def existing_run(path: Path) -> str | None:
    """What finished work `path` holds — "3 of 10 epochs, finished" — or None when it holds no checkpoint.

    A folder with only a metrics.json (a run stopped before its first epoch) holds nothing to lose.
    """
    if not any(kind_of(path / "checkpoints" / name, "--out", ConfigError) == "file" for name in ("last.pt", "best.pt")):
        return None
    try:
        metrics = read_json(path / METRICS)
        status = metrics["status"]
        return _("{done} of {epochs} epochs, {status}").format(
            done=len(metrics["epochs"]), epochs=metrics["config"]["epochs"],
            status=_(STATUS_WORDS[status]) if status in STATUS_WORDS else status)
    except (OSError, ValueError, KeyError, TypeError):
        return _("checkpoints")


def refuse_existing(path: Path, found: str) -> ConfigError:
    return ConfigError(_("--out {path} already holds a training run ({found})").format(path=path, found=found),
                       _("continue it with --resume {path}, choose a new --out (or leave --out out), or add "
                         "--overwrite to start again there (the old run is kept as {name}.old-<time>)").format(
                           path=path, name=path.name))


def prepare_run_dir(path: Path) -> Path:
    """The run directory with its checkpoints/ folder, checked writable up front.

    Also deletes temp files a killed save left behind (see files.stale_temp_files).
    """
    writable_dir(path / "checkpoints", "--out")
    for name in WRITTEN_ATOMICALLY:
        for stale in stale_temp_files(path / name):
            stale.unlink(missing_ok=True)
    return path


def run_header(config: TrainConfig, data: ImageData, *, device: str, device_name: str, cuda_version: str | None,
               precision: str, train_images: int, processes: int) -> dict[str, Any]:
    """The header of metrics.json: what ran, on what, with which data; `epochs` is filled as training goes."""
    return {
        "torchstart_version": __version__,
        "created": datetime.now().isoformat(timespec="seconds"),
        "command": command_line(),
        "config": to_dict(config),
        "data": {"source": data.source, "layout": data.layout, "train_images": train_images,
                 "test_images": len(data.test), "classes": list(data.classes)},
        "device": device, "device_name": device_name, "precision": precision,
        "torch_version": str(torch.__version__), "torchvision_version": metadata.version("torchvision"),
        "cuda_version": cuda_version, "processes": processes,
        "finished": False, "status": "running", "best_test_accuracy": 0.0, "best_epoch": 0, "epochs": [],
    }


@dataclass
class RunDir:
    """One run's folder and its metrics.json, as the train job fills them."""

    path: Path
    writes: bool = True  # False on torchrun ranks other than 0: they keep the numbers but write nothing
    metrics: dict[str, Any] = field(default_factory=dict)
    best_confusion: torch.Tensor | None = None  # the best epoch's (K, K) test confusion, once this process saw it

    @property
    def last(self) -> Path:
        return last_checkpoint_path(self.path)

    @property
    def best(self) -> Path:
        return self.path / "checkpoints" / "best.pt"

    @property
    def tb(self) -> Path:
        return self.path / "tb"

    @property
    def epochs_saved(self) -> int:
        return len(self.metrics.get("epochs", []))

    def prepare(self) -> RunDir:
        if self.writes:
            prepare_run_dir(self.path)
        return self

    def start(self, header: dict[str, Any], history: History, *, resumed: bool) -> None:
        """Begin metrics.json: `header` for a new run; a resumed run keeps its own header and notes the resume."""
        self.metrics = self._resumed(header, len(history.epochs)) if resumed else header
        self.metrics["epochs"] = [e.to_dict() for e in history.epochs]
        self.write_metrics()

    def _resumed(self, fresh: dict[str, Any], epochs_done: int) -> dict[str, Any]:
        """The run's own metrics.json (`fresh` if unreadable) plus a note of this resume."""
        try:
            metrics = read_json(self.path / METRICS)
        except (OSError, ValueError):
            metrics = None
        if not isinstance(metrics, dict):  # unreadable, or JSON of another shape: start the header again
            metrics = dict(fresh)
        if not isinstance(metrics.get("resumes"), list):
            metrics["resumes"] = []
        metrics["resumes"].append({
            "time": datetime.now().isoformat(timespec="seconds"), "after_epoch": epochs_done,
            "command": fresh["command"], "processes": fresh["processes"]})
        metrics.pop("error", None)
        metrics.update(config=fresh["config"], finished=False, status="running")
        return metrics

    def write_metrics(self, **changes: Any) -> None:
        self.metrics.update(changes)
        if self.writes:
            write_json(self.path / METRICS, self.metrics)

    def save_epoch(self, checkpoint: dict[str, Any], history: History, confusion: torch.Tensor) -> None:
        """After a finished epoch: last.pt, best.pt when this epoch is the best so far, metrics.json."""
        if not self.writes:
            return
        save_checkpoint(checkpoint, self.last)
        if history.best_epoch == len(history.epochs):  # same checkpoint: copy the bytes instead of pickling again
            atomic_write(self.best, lambda f: f.write(self.last.read_bytes()))
            self.best_confusion = confusion
        self.write_metrics(best_test_accuracy=history.best_test_accuracy, best_epoch=history.best_epoch,
                           epochs=[e.to_dict() for e in history.epochs])

    def finish(self, classes: tuple[str, ...]) -> None:
        """Mark the run finished and draw its two plots."""
        self.write_metrics(finished=True, status="finished")
        if not self.writes:
            return
        plot_curves(self.metrics["epochs"], self.path / "curves.png")
        # A resumed run whose best epoch came before the resume has not seen that epoch's confusion: read it.
        confusion = self.best_confusion if self.best_confusion is not None else \
            load_checkpoint(self.best)["test_confusion"]
        plot_confusion(confusion, classes, self.path / "confusion_matrix.png")
