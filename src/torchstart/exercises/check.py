"""`torchstart check N [FILE]`: run the learner's file in a separate process with a time limit, and report.

The file runs in a child Python (the same interpreter, `sys.executable -m torchstart.exercises.runner`) in a
temporary working folder, so a loop that never ends, a crash or a stray `exit()` cannot take the CLI with it,
and whatever the file writes lands in a folder that is removed afterwards. The child writes one JSON line per
check; this side turns them into one line per check, ✓ or ✗ with a hint, and an exit code:

    0  every check passed        1  some check failed
    2  the file could not be run: a syntax error (shown as Python shows it), an error before the checks
       could start, or the time limit reached (the check that was running is named)

This module imports no torch; only the child does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import ENV_VAR, _, language, ngettext
from . import EXERCISES, Exercise, find_exercise

PRINTED_TAIL = 20  # lines of what the learner's file printed, shown under a failed check
STARTUP_LIMIT = 120.0  # seconds the child may take to import torch and the checks before the learner's clock starts
POLL = 0.05  # seconds between looks at the child


@dataclass
class Result:
    title: str
    ok: bool
    hint: str | None = None


@dataclass
class Outcome:
    """What one check run found."""

    results: list[Result] = field(default_factory=list)
    problem: str | None = None  # None, "syntax", "crash", "timeout" or "stopped" (the child died)
    detail: str = ""  # Python's own text for a syntax error or a crash
    line: int | None = None  # the learner's line it points at
    running: str | None = None  # the check that was running when the time ran out
    seconds: float = 0.0
    printed: str = ""  # the tail of what the file printed (stdout)

    @property
    def exit_code(self) -> int:
        if self.problem:
            return 2
        return 0 if self.results and all(r.ok for r in self.results) else 1


def _read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def outcome_from(events: list[dict]) -> Outcome:
    outcome = Outcome()
    for event in events:
        if event["event"] == "start":
            outcome.running = event["title"]
        elif event["event"] == "result":
            outcome.results.append(Result(event["title"], event["ok"], event["hint"]))
            outcome.running = None
        elif event["event"] == "error":
            outcome.problem, outcome.detail, outcome.line = event["kind"], event["text"], event.get("line")
    if not any(e["event"] in ("done", "error") for e in events):
        outcome.problem = "stopped"
    return outcome


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env[ENV_VAR] = language()  # the child's titles and hints in the learner's language
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONSTARTUP", None)
    return env


def _stop(child: subprocess.Popen) -> None:
    if os.name == "posix":  # the whole group: DataLoader workers the learner's code started go too
        os.killpg(child.pid, signal.SIGKILL)
    else:
        child.kill()
    child.wait()


def _run_child(jobs_file: Path, log: Path, limit: float) -> bool:
    """Run the child on `jobs_file`; the learner's files get `limit` seconds once it is ready. True: timed out."""
    ready = jobs_file.with_name("ready")
    command = [sys.executable, "-m", "torchstart.exercises.runner", str(jobs_file), str(ready)]
    with open(log, "wb") as out, open(log.with_suffix(".err"), "wb") as err:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=jobs_file.parent,
                                 env=_child_env(), start_new_session=os.name == "posix")
        deadline, started = time.monotonic() + STARTUP_LIMIT, False
        try:
            while child.poll() is None:
                if not started and ready.exists():
                    deadline, started = time.monotonic() + limit, True  # the clock for the learner's code starts
                if time.monotonic() > deadline:
                    _stop(child)
                    return True
                time.sleep(POLL)
        except BaseException:  # Ctrl-C: the child is in its own session and did not see it
            _stop(child)
            raise
    return False


def _tail(path: Path, lines: int = PRINTED_TAIL) -> str:
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace").rstrip()
    return "\n".join(text.splitlines()[-lines:])


def run_many(jobs: list[tuple[Exercise, Path]], *, time_limit: float | None = None) -> list[Outcome]:
    """Check several files in one child process (the tests use this: torch is imported once).

    `time_limit` is for the whole run; by default the sum of the exercises' own limits.
    """
    limit = time_limit if time_limit is not None else sum(exercise.time_limit for exercise, _path in jobs)
    with tempfile.TemporaryDirectory(prefix="torchstart-check-") as tmp:
        folder = Path(tmp)
        spec = [{"exercise": exercise.key, "file": str(Path(path).resolve()), "shown": str(path),
                 "results": str(folder / f"{i}.jsonl"), "cwd": str(folder / f"work{i}")}
                for i, (exercise, path) in enumerate(jobs)]
        (folder / "jobs.json").write_text(json.dumps(spec), encoding="utf-8")
        start = time.perf_counter()
        timed_out = _run_child(folder / "jobs.json", folder / "stdout.log", limit)
        seconds = time.perf_counter() - start
        outcomes = [outcome_from(_read_events(Path(job["results"]))) for job in spec]
        printed = _tail(folder / "stdout.log")
        errors = _tail(folder / "stdout.err", 8)
    for outcome in outcomes:
        outcome.seconds, outcome.printed = seconds, printed
        if outcome.problem == "stopped":
            outcome.problem = "timeout" if timed_out else "stopped"
            outcome.detail = errors
            outcome.seconds = limit if timed_out else seconds
    return outcomes


def run_check(exercise: Exercise, path: Path, *, time_limit: float | None = None) -> Outcome:
    """Check one file (what `torchstart check` does)."""
    return run_many([(exercise, path)], time_limit=time_limit)[0]


def _next_step(exercise: Exercise) -> str:
    later = EXERCISES[EXERCISES.index(exercise) + 1:]
    if not later:
        return _("that was the last exercise")
    return _("next: torchstart exercise {number}").format(number=later[0].key)


def problem_lines(exercise: Exercise, outcome: Outcome) -> list[str]:
    """What the learner reads when the file could not be run to the end (exit 2)."""
    number = exercise.key
    if outcome.problem == "syntax":  # not text
        return [outcome.detail, _("Python could not read your file: there is a syntax error on line {line} "
                                  "(shown above). Fix it and run `torchstart check {number}` again.").format(
                                      line=outcome.line, number=number)]
    if outcome.problem == "crash":  # not text
        where = _("on line {line}").format(line=outcome.line) if outcome.line else _("while it was loading")
        return [outcome.detail, _("your file stopped with an error {where} before the checks could start (shown "
                                  "above): fix it and run `torchstart check {number}` again.").format(
                                      where=where, number=number)]
    if outcome.problem == "timeout":  # not text
        doing = (_("while checking “{title}”").format(title=outcome.running) if outcome.running
                 else _("while your file's top-level code was running"))
        return [_("stopped after {seconds:.0f} s {doing}: is there a loop that never ends (a `while` whose "
                  "condition stays true)? On a slow machine give it longer: --time-limit SECONDS").format(
                      seconds=outcome.seconds, doing=doing)]
    return [outcome.detail, _("the checker stopped without finishing (your code may have ended the Python "
                              "process, e.g. with os._exit or by running out of memory)")]


def format_outcome(exercise: Exercise, path: Path, outcome: Outcome) -> str:
    """The report `torchstart check` prints: a heading, one line per check, then a summary or the problem."""
    lines = [_("exercise {number} ({name}): {path}").format(number=exercise.key, name=exercise.name, path=path)]
    for result in outcome.results:
        lines.append(f"  ✓ {result.title}" if result.ok else f"  ✗ {result.title} — {result.hint}")
    if outcome.problem:
        lines += [line for line in problem_lines(exercise, outcome) if line]
        return "\n".join(lines)
    passed, total = sum(r.ok for r in outcome.results), len(outcome.results)
    if outcome.exit_code == 0:
        lines.append(ngettext("the check passed ({seconds:.1f} s) — well done; {next}",
                              "all {total} checks passed ({seconds:.1f} s) — well done; {next}", total).format(
                                  total=total, seconds=outcome.seconds, next=_next_step(exercise)))
        return "\n".join(lines)
    lines.append(ngettext("{passed} of {total} check passed ({seconds:.1f} s). Edit the file and check again; "
                          "stuck? torchstart hint {number}",
                          "{passed} of {total} checks passed ({seconds:.1f} s). Edit the file and check again; "
                          "stuck? torchstart hint {number}", total).format(
                              passed=passed, total=total, seconds=outcome.seconds, number=exercise.key))
    if outcome.printed:
        lines += [_("your file printed (last lines):"), *("    " + line for line in outcome.printed.splitlines())]
    return "\n".join(lines)


def check_in_notebook(key: str | int, path: str | Path) -> int:
    """The last cell of an exercise notebook: check `path` and print the report; the exit code is returned."""
    exercise = find_exercise(key)
    outcome = run_check(exercise, Path(path))
    print(format_outcome(exercise, Path(path), outcome))
    return outcome.exit_code
