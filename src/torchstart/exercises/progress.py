"""The learner's progress, kept beside their files in exercises/.progress.json, and the `torchstart exercises` list.

    {"version": 1, "exercises": {"conv": {"status": "passed", "passed": 3, "checks": 5, "hints": 1,
                                          "checked": "2026-05-02T10:00:00", "passed_on": "2026-05-01",
                                          "last": "failing", "file": "scratch.py", "failed": 4,
                                          "seen": "…the hint the last check gave…"}}}

status: "started" (the starter was written), "failing", "error" (the file could not be run) or "passed" — and
a pass holds: once an exercise passed, a later check that fails (of the same file or a scratch file) is
recorded as the last result (last, passed/checks, file, failed, seen) but leaves status and passed_on alone.
failed is the number of the first check that failed last time (0: none), and hints the next hint to show:
`torchstart hint` starts from the hints about that check. A missing or unreadable file is an empty progress:
nothing a learner did to it can stop the exercises.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..course import chapters
from ..files import read_json, writable_dir, write_json
from ..i18n import _, columns, ngettext, pad
from . import EXERCISES, Exercise
from .check import Outcome

PROGRESS_FILE = ".progress.json"
VERSION = 1
ROW_COLUMNS = 120  # a row of `torchstart exercises` fits a wide terminal; the task is cut to what is left
TASK_COLUMNS = 40  # but never shorter than this
NEXT_TASK_COLUMNS = 60  # the task in `torchstart next`


@dataclass
class Entry:
    status: str = "started"
    passed: int = 0  # checks passed at the last check
    checks: int = 0  # checks run at the last check
    hints: int = 0  # the index of the next hint to show
    checked: str = ""  # when it was last checked (ISO 8601, local time)
    passed_on: str = ""  # the day it first passed (ISO 8601 date); kept whatever later checks find
    last: str = ""  # the last check's own result: "passed", "failing" or "error"
    file: str = ""  # the file the last check ran
    failed: int = 0  # the number (1, 2, …) of the first check that failed last time; 0: none failed
    seen: str = ""  # what that check said (its title and hint), for `torchstart hint`


def load(folder: Path) -> dict[str, Entry]:
    try:
        data = read_json(Path(folder) / PROGRESS_FILE)
        rows = data["exercises"].items()
        fields = {f.name for f in dataclasses.fields(Entry)}
        return {str(name): Entry(**{k: v for k, v in row.items() if k in fields}) for name, row in rows}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save(folder: Path, entries: dict[str, Entry]) -> None:
    payload = {"version": VERSION, "exercises": {name: dataclasses.asdict(e) for name, e in sorted(entries.items())}}
    write_json(writable_dir(folder, "--dir") / PROGRESS_FILE, payload)


def update(folder: Path, exercise: Exercise, **changes: object) -> Entry:
    """Change the exercise's entry (creating it) and save; returns the new entry."""
    entries = load(folder)
    entry = dataclasses.replace(entries.get(exercise.name, Entry()), **changes)
    entries[exercise.name] = entry
    save(folder, entries)
    return entry


def record_check(folder: Path, exercise: Exercise, outcome: Outcome, path: Path) -> Entry:
    """Record what `torchstart check` found; a pass recorded earlier stays a pass (with its day)."""
    result = {0: "passed", 1: "failing"}.get(outcome.exit_code, "error")
    old = load(folder).get(exercise.name, Entry())
    now = datetime.now()
    failed = next((i for i, r in enumerate(outcome.results, start=1) if not r.ok), 0)
    seen = f"{outcome.results[failed - 1].title} — {outcome.results[failed - 1].hint}" if failed else ""
    hints = exercise.text.first_hint_for(failed) if failed else old.hints
    return update(folder, exercise, status="passed" if "passed" in (old.status, result) else result,  # not text
                  passed_on=old.passed_on or (now.date().isoformat() if result == "passed" else ""),  # not text
                  passed=sum(r.ok for r in outcome.results), checks=len(outcome.results), last=result, file=str(path),
                  failed=failed, seen=seen, hints=hints, checked=now.isoformat(timespec="seconds"))


def status_text(exercise: Exercise, entry: Entry | None, folder: Path) -> str:
    """"not started", "not checked yet", "failing (3/5)", "could not run" or "passed", in the learner's language."""
    if entry is None:
        return _("not checked yet") if (Path(folder) / exercise.file_name).is_file() else _("not started")
    if entry.status == "passed" and entry.last in ("failing", "error"):  # not text
        return _("passed; last check {passed}/{checks}").format(passed=entry.passed, checks=entry.checks)
    if entry.status == "passed":  # not text
        return _("passed")
    if entry.status == "failing":  # not text
        return _("failing ({passed}/{checks})").format(passed=entry.passed, checks=entry.checks)
    if entry.status == "error":  # not text
        return _("could not run")
    return _("not checked yet")


def clip(text: str, width: int) -> str:
    """`text` cut to `width` terminal columns, ending with … when it was longer (a Chinese character takes two)."""
    if columns(text) <= width:
        return text
    while columns(text) > width - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def listing(folder: Path) -> str:
    """The table `torchstart exercises` prints: one row per exercise — its task in one line, the learner's
    status and the day it passed."""
    entries = load(folder)
    statuses = [status_text(e, entries.get(e.name), folder) for e in EXERCISES]
    days = [entries.get(e.name, Entry()).passed_on for e in EXERCISES]
    key_width, name_width = max(len(e.key) for e in EXERCISES), max(len(e.name) for e in EXERCISES)
    status_width = max(columns(s) for s in statuses)
    day_width = max(len(day) for day in days)
    rows = []
    for exercise, status, day in zip(EXERCISES, statuses, days):
        cells = [f"{exercise.key:>{key_width}}", f"{exercise.name:<{name_width}}", pad(status, status_width)]
        cells += [f"{day:<{day_width}}"] if day_width else []  # the column of days appears with the first pass
        start = columns("  ".join(cells)) + 2
        rows.append("  ".join([*cells, clip(str(exercise.task), max(TASK_COLUMNS, ROW_COLUMNS - start))]))
    passed = sum(1 for e in EXERCISES if entries.get(e.name, Entry()).status == "passed")  # not text
    rows.append(ngettext("{passed} of {total} exercise passed", "{passed} of {total} exercises passed",
                         len(EXERCISES)).format(passed=passed, total=len(EXERCISES)))
    rows.append(_("start one: torchstart exercise NUMBER; check it: torchstart check NUMBER; a hint: torchstart "
                  "hint NUMBER"))
    return "\n".join(rows)


def first_open(folder: Path) -> Exercise | None:
    """The first exercise that has not passed (None: every one has)."""
    entries = load(folder)
    return next((e for e in EXERCISES if entries.get(e.name, Entry()).status != "passed"), None)  # not text


def what_next(folder: Path, lessons_done: frozenset[str]) -> list[str]:
    """What `torchstart next` prints: the first lesson not in `lessons_done`, the first exercise not passed."""
    lesson = next((c for c in chapters() if c.name not in lessons_done), None)
    lines = [_("lessons: you have run all {count}").format(count=len(chapters())) if lesson is None else
             _("next lesson: torchstart lesson {number} ({name}: {goal})").format(
                 number=lesson.number, name=lesson.name, goal=lesson.goal)]
    exercise = first_open(folder)
    if exercise is None:
        return [*lines, _("exercises: every one has passed — well done")]
    path = Path(folder) / exercise.file_name
    if path.is_file():
        status = status_text(exercise, load(folder).get(exercise.name), folder)
        return [*lines, _("next exercise: torchstart check {number} ({path}, {status}); stuck? torchstart hint "
                          "{number}").format(number=exercise.key, path=path, status=status)]
    return [*lines, _("next exercise: torchstart exercise {number} ({name}: {task})").format(
        number=exercise.key, name=exercise.name, task=clip(str(exercise.task), NEXT_TASK_COLUMNS))]
