"""The learner's progress, kept beside their files in exercises/.progress.json, and the `torchstart exercises` list.

    {"version": 1, "exercises": {"conv": {"status": "failing", "passed": 3, "checks": 5, "hints": 1,
                                          "checked": "2026-05-01T10:00:00"}}}

status: "started" (the starter was written), "failing", "passed" or "error" (the file could not be run).
A missing or unreadable file is an empty progress: nothing a learner did to it can stop the exercises.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..files import read_json, writable_dir, write_json
from ..i18n import _, columns, ngettext, pad
from . import EXERCISES, Exercise

PROGRESS_FILE = ".progress.json"
VERSION = 1


@dataclass
class Entry:
    status: str = "started"
    passed: int = 0  # checks passed at the last check
    checks: int = 0  # checks run at the last check
    hints: int = 0  # hints shown so far
    checked: str = ""  # when it was last checked (ISO 8601, local time)


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


def record_check(folder: Path, exercise: Exercise, passed: int, checks: int, exit_code: int) -> Entry:
    status = {0: "passed", 1: "failing"}.get(exit_code, "error")
    return update(folder, exercise, status=status, passed=passed, checks=checks,
                  checked=datetime.now().isoformat(timespec="seconds"))


def status_text(exercise: Exercise, entry: Entry | None, folder: Path) -> str:
    """"not started", "not checked yet", "failing (3/5)", "could not run" or "passed", in the learner's language."""
    if entry is None:
        return _("not checked yet") if (Path(folder) / exercise.file_name).is_file() else _("not started")
    if entry.status == "passed":  # not text
        return _("passed")
    if entry.status == "failing":  # not text
        return _("failing ({passed}/{checks})").format(passed=entry.passed, checks=entry.checks)
    if entry.status == "error":  # not text
        return _("could not run")
    return _("not checked yet")


def listing(folder: Path) -> str:
    """The table `torchstart exercises` prints: one row per exercise with the learner's status."""
    entries = load(folder)
    statuses = [status_text(e, entries.get(e.name), folder) for e in EXERCISES]
    name_width = max(len(e.name) for e in EXERCISES)
    status_width = max(columns(s) for s in statuses)
    rows = [f"{e.number:>2}  {e.name:<{name_width}}  {pad(status, status_width)}  {e.chapter.goal}"
            for e, status in zip(EXERCISES, statuses)]
    passed = sum(1 for e in EXERCISES if entries.get(e.name, Entry()).status == "passed")  # not text
    rows.append(ngettext("{passed} of {total} exercise passed", "{passed} of {total} exercises passed",
                         len(EXERCISES)).format(passed=passed, total=len(EXERCISES)))
    rows.append(_("start one: torchstart exercise NUMBER; check it: torchstart check NUMBER; a hint: torchstart "
                  "hint NUMBER"))
    return "\n".join(rows)
