"""`torchstart runs`: the table of past training runs, read from each run's metrics.json.

A run directory is a folder with a metrics.json (see training/rundir.py for what it holds). The table lists
`RUNS_ROOT` itself when it is a run, else every folder directly inside it. A folder that looks like a
run but whose metrics.json is missing or unreadable is listed as a problem, never a crash: runs get
copied half-way, edited by hand and stopped before their first epoch. What a lesson writes
(runs/lessons/09-conv-<time>/, with its own tb/) is not a training run: it is counted, not listed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..course import chapters
from ..errors import DataError
from ..files import check_input, read_json
from ..i18n import N_, _, columns, pad

METRICS = "metrics.json"
LESSON_STAMP = re.compile(r"-\d{8}-\d{6}")  # runs/lessons/<NN-name>-<YYYYmmdd-HHMMSS> (lesson_view.default_out)
SAMPLE_SOURCE = N_("embedded sample")  # metrics.json's data source for the embedded CIFAR-10 sample
HEADER = (N_("run"), N_("date"), N_("recipe"), N_("data"), N_("epochs"), N_("best acc"), N_("time"))


@dataclass(frozen=True)
class RunSummary:
    path: str
    created: str  # ISO date-time the run started
    recipe: str
    data: str  # "embedded sample" or the CIFAR-10 folder
    epochs_done: int
    epochs_planned: int
    best_test_accuracy: float  # fraction 0–1
    best_epoch: int
    seconds: float  # training time up to the last finished epoch
    finished: bool
    device: str


@dataclass(frozen=True)
class BrokenRun:
    path: str
    reason: str


@dataclass
class RunTable:
    root: str
    runs: list[RunSummary]
    broken: list[BrokenRun]
    lessons: list[str] = field(default_factory=list)  # lesson output folders left out

    def to_dict(self) -> dict:
        return {"root": self.root, "runs": [asdict(r) for r in self.runs], "broken": [asdict(b) for b in self.broken],
                "lessons": self.lessons}


def summarize(run_dir: Path, metrics: dict) -> RunSummary:
    """One row from a run's parsed metrics.json; KeyError/TypeError/ValueError when fields are missing."""
    epochs = metrics["epochs"]
    config = metrics["config"]
    return RunSummary(
        path=str(run_dir), created=str(metrics["created"]), recipe=str(config["recipe"]),
        data=str(metrics["data"]["source"]), epochs_done=len(epochs), epochs_planned=int(config["epochs"]),
        best_test_accuracy=float(metrics["best_test_accuracy"]), best_epoch=int(metrics["best_epoch"]),
        seconds=float(epochs[-1]["elapsed_seconds"]) if epochs else 0.0,
        finished=bool(metrics.get("finished", False)), device=str(metrics.get("device", "?")))


def _looks_like_run(folder: Path) -> bool:
    return (folder / METRICS).exists() or (folder / "checkpoints").is_dir() or (folder / "tb").is_dir()


def is_lesson_output(folder: Path) -> bool:
    """A folder a lesson wrote: inside runs/lessons/, or named like one (09-conv, 09-conv-20260101-120000)."""
    if folder.parent.name == "lessons":
        return True
    return any(folder.name == chapter.slug or (folder.name.startswith(chapter.slug) and
                                               LESSON_STAMP.fullmatch(folder.name[len(chapter.slug):]))
               for chapter in chapters())


def list_runs(root: Path = Path("runs")) -> RunTable:
    """Every run under `root`, oldest first, and the run-like folders that could not be read."""
    root = check_input(Path(root).expanduser(), expect="dir", what=N_("runs folder"), error=DataError,
                       fix=_("pass the folder that holds your runs (default runs/)"))
    candidates = [root] if (root / METRICS).exists() else sorted(p for p in root.iterdir() if p.is_dir())
    runs, broken, lessons = [], [], []
    for folder in candidates:
        if not _looks_like_run(folder):
            continue
        if not (folder / METRICS).exists():
            if is_lesson_output(folder):
                lessons.append(str(folder))
                continue
            broken.append(BrokenRun(str(folder), _("no {file} (stopped before its first epoch finished?)").format(
                file=METRICS)))
            continue
        try:
            metrics = read_json(folder / METRICS)
        except (OSError, ValueError) as err:  # unreadable, not UTF-8, or not JSON (all ValueErrors but OSError)
            broken.append(BrokenRun(str(folder), _("{file} is not readable JSON ({reason})").format(
                file=METRICS, reason=err)))
            continue
        try:
            runs.append(summarize(folder, metrics))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
            broken.append(BrokenRun(str(folder), _("{file} lacks what torchstart writes ({reason})").format(
                file=METRICS, reason=f"{type(err).__name__}: {err}")))
    runs.sort(key=lambda r: (r.created, r.path))
    return RunTable(str(root), runs, broken, lessons)


def format_table(table: RunTable) -> str:
    """The runs as an aligned text table, then one line per unreadable run and one for the lessons left out."""
    lessons = [_("{count} lesson output folders left out: they are not training runs").format(
        count=len(table.lessons))] if table.lessons else []
    if not table.runs and not table.broken:
        return "\n".join([_("no runs under {root} — start one with: torchstart train").format(root=table.root),
                          *lessons])
    rows = [tuple(_(name) for name in HEADER)]
    for r in table.runs:
        epochs = f"{r.epochs_done}/{r.epochs_planned}" + ("" if r.finished else " " + _("stopped"))
        rows.append((r.path, r.created.replace("T", " ")[:16], r.recipe, _(r.data), epochs,
                     f"{100 * r.best_test_accuracy:.2f}%", _("{seconds:.1f} s").format(seconds=r.seconds)))
    widths = [max(columns(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(pad(cell, w) for cell, w in zip(row, widths)).rstrip() for row in rows] if table.runs else []
    lines += [f"! {b.path}: {b.reason}" for b in table.broken]
    return "\n".join(lines + lessons)
