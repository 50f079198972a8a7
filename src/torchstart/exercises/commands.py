"""The exercise commands: `exercises`, `exercise N`, `check N [FILE]`, `hint N`, `solution N`.

The CLI adds them with `add_exercise_commands(sub)` and runs `COMMANDS[args.command](args)`. Like every
command, a mistake the learner can fix (an unknown exercise, a missing file) is a TorchstartError, which the
CLI prints as one line with exit code 2. This module imports no torch; only `check`'s child process does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError
from ..i18n import _
from . import DEFAULT_DIR, Exercise, find_exercise


def _add_key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("exercise", metavar="NAME|NUMBER",
                        help=_("the lesson's number or name, e.g. 9 or conv; 9b is lesson 9's second exercise"))


def add_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, metavar="FOLDER",
                        help=_("the folder with your exercise files and your progress (default: exercises)"))


def add_exercise_commands(sub) -> None:
    """Add the five exercise commands to the CLI's subparsers."""
    listing = sub.add_parser("exercises", help=_("list the exercises, by chapter, with your progress"))
    add_dir(listing)

    exercise = sub.add_parser("exercise", help=_("write a chapter's exercise file for you to fill in"),
                              description=_("Write exercises/NN_name.py: the task in Chinese and English, the "
                                            "functions to write with TODOs, and what a correct answer gives. "
                                            "An existing file is never replaced without --force."))
    _add_key(exercise)
    exercise.add_argument("--force", action="store_true",
                          help=_("start over: replace your file (the old one is kept aside as <name>.old-<time>)"))
    add_dir(exercise)

    check = sub.add_parser("check", help=_("check your exercise file: one line per check, ✓ or ✗ with a hint"),
                           description=_("Run your file in a separate Python with a time limit and check it against "
                                         "torch and the course's numbers. Exit 0: all passed, 1: some failed, "
                                         "2: the file could not be run."))
    _add_key(check)
    check.add_argument("file", nargs="?", type=Path, metavar="FILE",
                       help=_("the file to check (default: exercises/NN_name.py)"))
    check.add_argument("--time-limit", type=float, metavar="SECONDS",
                       help=_("stop the file after this many seconds (default: the exercise's own limit)"))
    add_dir(check)

    hint = sub.add_parser("hint", help=_("the next hint for an exercise, one at a time"),
                          description=_("One hint at a time, starting from the hints about the first check that "
                                        "failed in your last `torchstart check`."))
    _add_key(hint)
    hint.add_argument("--all", action="store_true", help=_("show every hint of the exercise at once"))
    add_dir(hint)

    solution = sub.add_parser("solution", help=_("print a complete reference solution (to stdout)"),
                              description=_("Print one correct answer as a complete file: "
                                            "`torchstart solution 9 > mine.py` gives a file that passes."))
    _add_key(solution)


def cmd_exercises(args: argparse.Namespace) -> int:
    from .progress import listing

    print(listing(args.dir))
    return 0


def cmd_exercise(args: argparse.Namespace) -> int:
    from .progress import Entry, load, update
    from .starter import write_starter

    exercise = find_exercise(args.exercise)
    path, backup = write_starter(exercise, args.dir, force=args.force)
    if load(args.dir).get(exercise.name, Entry()).status != "passed":  # a fresh start does not undo a pass
        update(args.dir, exercise, status="started", passed=0, checks=0)
    if backup is not None:
        print(_("your previous file is kept as {path}").format(path=backup))
    print(_("wrote {path}: the task is at the top of the file. Replace each TODO with your code, then run: "
            "torchstart check {number}").format(path=path, number=exercise.key))
    print(_("read the lesson it practises: torchstart docs {number}").format(number=exercise.number))
    return 0


def _file_to_check(exercise: Exercise, args: argparse.Namespace) -> Path:
    path = args.file if args.file is not None else args.dir / exercise.file_name
    if not path.is_file():
        if args.file is None:
            raise ConfigError(_("there is no {path} yet").format(path=path),
                              _("write it first: torchstart exercise {number}").format(number=exercise.key))
        raise ConfigError(_("{path} is not a file").format(path=path),
                          _("give the path of your exercise file, e.g. {default}").format(
                              default=args.dir / exercise.file_name))
    return path


def cmd_check(args: argparse.Namespace) -> int:
    from .check import format_outcome, run_check
    from .progress import record_check

    exercise = find_exercise(args.exercise)
    if args.time_limit is not None and args.time_limit <= 0:
        raise ConfigError(_("--time-limit must be more than 0 seconds"), _("e.g. --time-limit 60"))
    path = _file_to_check(exercise, args)
    outcome = run_check(exercise, path, time_limit=args.time_limit)
    print(format_outcome(exercise, path, outcome))
    if args.dir.is_dir():  # progress lives beside the exercise files; checking a file elsewhere creates no folder
        record_check(args.dir, exercise, outcome, path)
    return outcome.exit_code


def _hint_line(exercise: Exercise, index: int) -> str:
    return _("hint {index} of {count} for exercise {number} ({name}): {hint}").format(
        index=index + 1, count=len(exercise.hints), number=exercise.key, name=exercise.name,
        hint=str(exercise.hints[index]))


def cmd_hint(args: argparse.Namespace) -> int:
    from .progress import Entry, load, update

    exercise = find_exercise(args.exercise)
    hints, entry = exercise.hints, load(args.dir).get(exercise.name, Entry())
    if entry.failed and entry.last != "passed" and entry.hints == exercise.text.first_hint_for(entry.failed):
        print(_("your last check ({file}) failed at: {seen}").format(file=entry.file, seen=entry.seen))
    if args.all:
        print("\n".join(_hint_line(exercise, index) for index in range(len(hints))))
        return 0
    index = min(entry.hints, len(hints) - 1)  # past the end: the last again
    print(_hint_line(exercise, index))
    update(args.dir, exercise, hints=index + 1)
    if index + 1 < len(hints):
        print(_("another one: torchstart hint {number} (all of them: --all)").format(number=exercise.key))
    else:
        print(_("that was the last hint; torchstart solution {number} shows one complete answer").format(
            number=exercise.key))
    return 0


def cmd_solution(args: argparse.Namespace) -> int:
    from .starter import solution_text

    exercise = find_exercise(args.exercise)
    sys.stdout.write(solution_text(exercise))
    sys.stdout.flush()
    print(_("this is one correct answer. Reading it after your own try is a fine way to learn: compare it with "
            "yours, then check yours again with torchstart check {number}").format(number=exercise.key),
          file=sys.stderr)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "exercises": cmd_exercises, "exercise": cmd_exercise, "check": cmd_check, "hint": cmd_hint,
    "solution": cmd_solution,
}
