"""`torchstart lesson N`: the lesson in the terminal as a learner reads it — each cell's code, then its output.

Prose and code are drawn with rich (Markdown, highlighted Python) when stdout is a terminal, and as plain
text when it is piped or redirected. `--code` prints only the code (a file that runs on its own), `--quiet`
only the outputs, `--json` only the chapter's numbers, as one JSON object.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from ..course import Chapter, chapters
from ..course.execute import LessonRun, run_cells
from ..course.literate import Cell
from ..folder_lock import FolderLock
from ..i18n import _, columns, pad

MODES = ("show", "quiet", "json")


def default_out(chapter: Chapter, root: Path = Path("runs") / "lessons") -> Path:
    """runs/lessons/<NN-name>-<YYYYmmdd-HHMMSS>: the folder a lesson runs in (what it writes lands there)."""
    return root / f"{chapter.slug}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def to_jsonable(value: Any) -> Any:
    """A script's variables (tensors, arrays, sizes, dataclasses, paths) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):  # torch.Size is a tuple too
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "tolist"):  # torch.Tensor, numpy arrays and numpy scalars
        return to_jsonable(value.tolist())
    return str(value)  # Path, torch.device, torch.dtype, …


def heading(chapter: Chapter, lang: str) -> str:
    return _("Lesson {number}: {name} — {goal}").format(number=chapter.number, name=chapter.name,
                                                        goal=chapter.goal.get(lang))


class Printer:
    """Draws cells on `stream`: rich on a terminal, plain text otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.console = None
        if stream.isatty():
            from rich.console import Console

            self.console = Console(file=stream, highlight=False)

    def cell(self, cell: Cell) -> None:
        if self.console is not None:
            from rich.markdown import Markdown
            from rich.syntax import Syntax

            self.console.print(Syntax(cell.source, "python", line_numbers=False) if cell.kind == "code"
                               else Markdown(cell.source))
            return
        # plain text is Markdown: `torchstart lesson 9 > conv.md` reads like the lesson's page
        fence = "```python\n" if cell.kind == "code" else ""
        self.stream.write(f"\n{fence}{cell.source}\n{'```' if fence else ''}\n")
        self.stream.flush()

    def text(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def run_lesson(chapter: Chapter, lang: str, out: Path, mode: str = "show", stream: TextIO | None = None) -> LessonRun:
    """Run the lesson in `out`, showing it on `stream` as `mode` says; returns the run (its namespace, outputs)."""
    stream = stream or sys.stdout
    printer = Printer(stream)
    with FolderLock(out):  # one writer per folder: a second lesson in `out` refuses before it prints anything
        if mode == "show":
            printer.text(heading(chapter, lang) + "\n" + _("video: {url}").format(url=chapter.video) + "\n")
        echo = printer.text if mode in ("show", "quiet") else None
        before = printer.cell if mode == "show" else None
        run = run_cells(chapter, lang, out, echo=echo, before_cell=before)
    if mode == "json":
        payload = {"lesson": chapter.name, "number": chapter.number, "result": to_jsonable(run.results())}
        stream.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return run


def where_to_read(chapter: Chapter) -> str:
    """The last line of a lesson: its page on the course site, and the exercise that goes with it."""
    if chapter.exercise is None:
        return _("read it: torchstart docs {number}; the code alone: torchstart lesson {number} --code").format(
            number=chapter.number)
    return _("read it: torchstart docs {number}; the code alone: torchstart lesson {number} --code; practise: "
             "torchstart exercise {number}").format(number=chapter.number)


def listing(lang: str, done: frozenset[str] = frozenset()) -> str:
    """The lesson table `torchstart lessons` prints; the lessons in `done` (names) are marked ✓."""
    width = max(columns(c.name) for c in chapters())
    mark = (lambda c: "✓ " if c.name in done else "  ") if done else (lambda c: "")
    rows = [f"{mark(c)}{c.number:>2}  {pad(c.name, width)}  {c.goal.get(lang)}" for c in chapters()]
    return "\n".join(rows + ([_("✓ marks the lessons you have run; what next: torchstart next")] if done else []))
