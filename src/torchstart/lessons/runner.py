"""Run a lesson from the registry and show its result as text or JSON.

`torchstart lesson NAME` and `python -m torchstart.lessons.NAME` both end up in `run_lesson`,
so a lesson behaves the same from the CLI, from its own module and from the tests.

The lesson interface: every lesson's `run` takes the same keyword-only options,
`run(*, out: Path, data_dir: Path | None = None, device: str = "auto")`, and returns a dataclass;
a lesson that needs one of them not simply ignores it. This module imports no torch (the CLI
builds its parser from it), so results are made JSON-friendly by duck typing.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import math
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import EXIT_USAGE, TorchstartError
from ..i18n import N_, _, in_language, set_language, split_lang_flag
from . import LESSONS, Lesson, find_lesson


def default_out(lesson: Lesson, root: Path = Path("runs") / "lessons") -> Path:
    """runs/lessons/<NN-name>-<YYYYmmdd-HHMMSS>: where a lesson writes when --out is not given."""
    return root / f"{lesson.slug}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def run_lesson(lesson: Lesson, *, out: Path | None = None, data_dir: Path | None = None,
               device: str = "auto", report: Callable[[str], None] | None = None) -> Any:
    """The lesson's `run` with the three options every lesson takes; `out` defaults to runs/lessons/<NN-name>-<time>.

    A lesson that takes more than a few seconds also accepts `report`, a function it calls with one line of
    progress (already in the learner's language) per epoch or step of work; the others never see it.
    """
    run = lesson.load().run
    extra = {"report": report} if report is not None and "report" in inspect.signature(run).parameters else {}
    return run(out=out or default_out(lesson), data_dir=data_dir, device=device, **extra)


def report_to_stderr(line: str) -> None:
    """Progress lines go to stderr, so `--json` output on stdout stays one JSON object."""
    print(line, file=sys.stderr, flush=True)


def to_jsonable(value: Any) -> Any:
    """A lesson result (dataclasses, tensors, arrays, paths, tuples) as plain JSON values."""
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


def format_result(lesson: Lesson, result: Any, as_json: bool) -> str:
    if as_json:
        payload = {"lesson": lesson.name, "number": lesson.number, "result": to_jsonable(result)}  # not text: keys
        return json.dumps(payload, ensure_ascii=False)
    heading = _("Lesson {number}: {name} — {goal}").format(number=lesson.number, name=lesson.name, goal=_(lesson.goal))
    return f"{heading}\n{lesson.load().describe(result)}"


def listing() -> str:
    """The lesson table `torchstart lessons` prints."""
    width = max(len(lesson.name) for lesson in LESSONS)
    return "\n".join(f"{lesson.number:>2}  {lesson.name:<{width}}  {_(lesson.goal)}" for lesson in LESSONS)


def add_lesson_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path,
                        help=_("folder for what the lesson writes (default runs/lessons/<lesson>-<time>)"))
    parser.add_argument("--data-dir", type=Path, help=_("the full data set instead of the embedded sample"))
    parser.add_argument("--device", default="auto", help=_("auto|cpu|cuda|mps|xpu (lessons that use a device)"))
    parser.add_argument("--json", action="store_true", help=_("print the result as one JSON object"))


def lesson_main(name: str, argv: Sequence[str] | None = None) -> int:
    """`main()` of every lesson module: `python -m torchstart.lessons.NAME [--out DIR] [--json]`."""
    lang, argv = split_lang_flag(sys.argv[1:] if argv is None else list(argv))
    if lang is not None:
        set_language(lang)
    lesson = find_lesson(name)
    parser = argparse.ArgumentParser(prog=f"python -m {lesson.module_name}", description=_(lesson.goal))
    add_lesson_options(parser)
    args = parser.parse_args(argv)
    try:
        result = run_lesson(lesson, out=args.out, data_dir=args.data_dir, device=args.device,
                            report=report_to_stderr)
    except TorchstartError as err:
        print(_("lesson {name}: error: {error}").format(name=lesson.name, error=err), file=sys.stderr)
        return EXIT_USAGE
    print(format_result(lesson, result, args.json))
    return 0


def docs_index(lang: str) -> str:
    """docs/<lang>/lessons/README.md: the lesson table, generated from the registry."""
    lines = [in_language(N_("# Lessons"), lang), "",
             in_language(N_("Every lesson runs: `torchstart lesson NUMBER|NAME`, add `--json` for JSON. This page is "
                            "generated from the registry by `python scripts/make_docs_index.py`."), lang), "",
             in_language(N_("| # | lesson | course chapter | what you learn |"), lang),
             "|---|---|---|---|"]
    for lesson in LESSONS:
        goal = in_language(lesson.goal, lang)
        lines.append(f"| {lesson.number} | [{lesson.name}]({lesson.slug}.md) | {lesson.chapter} | {goal} |")
    return "\n".join(lines) + "\n"
