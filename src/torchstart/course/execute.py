"""Run a lesson's cells in this process, one after another, in a fresh namespace — as `python lesson.py` would.

`torchstart lesson N` shows each cell and then its output while it runs; the tests run the same cells and
assert the chapter's numbers from the namespace the script leaves. A cell's output is what its code prints
(stdout and stderr); its figures are the matplotlib figures open at its end, saved as PNG files and closed.
A script that raises becomes a LessonFailed naming the cell, the line and the error in one sentence.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import os
import sys
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TorchstartError, is_closed_pipe, write_refusal
from ..files import atomic_write
from ..i18n import _
from . import Chapter
from .literate import Cell, cells, code


class LessonFailed(TorchstartError):
    """The lesson's code raised: the cell and line where, and what."""


@dataclass
class CellRun:
    cell: Cell
    output: str = ""  # what the cell printed
    figures: list[Path] = field(default_factory=list)  # PNG files of the figures it drew


@dataclass
class LessonRun:
    chapter: Chapter
    cells: list[CellRun]
    namespace: dict[str, Any]  # the script's variables when it ended

    def output_of(self, code: str) -> str:
        """What the one code cell whose source holds `code` printed."""
        (run,) = [run for run in self.cells if code in run.cell.source]
        return run.output

    def results(self) -> dict[str, Any]:
        """The chapter's numbers: the variables chapter.toml names in `results`."""
        return {name: self.namespace[name] for name in self.chapter.results}


class _Tee(io.TextIOBase):
    """Collects what a cell prints and passes each piece on to `echo` as it comes (the terminal)."""

    def __init__(self, echo: Callable[[str], None] | None) -> None:
        self.parts: list[str] = []
        self.echo = echo

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.parts.append(text)
        if self.echo is not None:
            self.echo(text)
        return len(text)

    def isatty(self) -> bool:
        return False  # progress bars draw one final line, not a redrawn one


def _save_figures(folder: Path, cell: Cell) -> list[Path]:
    import sys

    if "matplotlib.pyplot" not in sys.modules:  # the script never drew: do not import matplotlib for nothing
        return []
    import matplotlib.pyplot as plt

    paths = []
    for number in plt.get_fignums():
        path = folder / f"cell{cell.index:02d}-{number}.png"
        atomic_write(path, lambda f, number=number: plt.figure(number).savefig(f, format="png", dpi=80,
                                                                                bbox_inches="tight"))
        paths.append(path)
    plt.close("all")
    return paths


def _failure(chapter: Chapter, cell: Cell, filename: str, err: BaseException) -> LessonFailed:
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == filename]
    line = frames[-1].lineno if frames else getattr(err, "lineno", None) or 1
    code_line = cell.source.splitlines()[line - 1].strip() if cell.source.splitlines() else ""
    reason = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}".rstrip(": ")
    return LessonFailed(_("lesson {number}, cell {cell}, line {line} ({code}): {reason}").format(
        number=chapter.number, cell=cell.index, line=line, code=code_line, reason=reason),
        _("compare the cell with `torchstart lesson {number} --code`, or see the page of the lesson").format(
            number=chapter.number))


def run_cells(chapter: Chapter, lang: str, workdir: Path, *, echo: Callable[[str], None] | None = None,
              before_cell: Callable[[Cell], None] | None = None) -> LessonRun:
    """Execute the lesson's code cells with `workdir` as the current folder (what the script writes lands there).

    `before_cell(cell)` is called for every cell, prose too, before it runs; `echo(text)` gets the output as it
    is printed. Figures are saved in workdir/figures.
    """
    workdir = workdir.resolve()  # the script changes the current folder to it; figures are saved by this path
    workdir.mkdir(parents=True, exist_ok=True)
    # The script's globals are a real module installed as __main__ while it runs, as under `python lesson.py` or
    # in Jupyter: pickle finds the script's classes by "__main__.Tudui" (torch.save(model) of lesson 17).
    # lesson.py in the run folder is the code that runs: with the spawn start method (macOS, Windows) DataLoader
    # workers import __main__ from that file.
    main = types.ModuleType("__main__")
    main.__file__ = str(workdir / "lesson.py")
    atomic_write(Path(main.__file__), lambda f: f.write(code(chapter, lang).encode("utf-8")))
    namespace: dict[str, Any] = main.__dict__
    runs = []
    previous, previous_main = Path.cwd(), sys.modules["__main__"]
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to files; no window opens
    os.chdir(workdir)
    sys.modules["__main__"] = main
    try:
        for cell in cells(chapter, lang):
            if before_cell is not None:
                before_cell(cell)
            if cell.kind != "code":
                continue
            runs.append(_run_one(chapter, cell, namespace, workdir, echo))
    finally:
        sys.modules["__main__"] = previous_main
        os.chdir(previous)
    return LessonRun(chapter, runs, namespace)


def _run_one(chapter: Chapter, cell: Cell, namespace: dict, workdir: Path,
             echo: Callable[[str], None] | None) -> CellRun:
    filename = f"<lesson {chapter.number}, cell {cell.index}>"
    linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(keepends=True), filename)
    tee = _Tee(echo)
    try:
        code = compile(cell.source, filename, "exec")
        with contextlib.redirect_stdout(tee), contextlib.redirect_stderr(tee):
            exec(code, namespace)
    except (Exception, SystemExit) as err:  # the learner's code: any error is theirs to read, in one line
        if is_closed_pipe(err) or write_refusal(err) is not None:  # the machine's limit, not the code: the CLI says
            raise
        raise _failure(chapter, cell, filename, err) from None
    figures_dir = workdir / "figures"
    figures_dir.mkdir(exist_ok=True)
    figures = _save_figures(figures_dir, cell)
    if echo is not None:
        for path in figures:
            echo(_("[figure: {path}]").format(path=path) + "\n")
    return CellRun(cell, "".join(tee.parts), figures)
