"""Exercises: one per chapter where the course has the learner write code, registered next to its lesson.

    torchstart exercises            the list, with your status (not started / not checked yet / failing / passed)
    torchstart exercise 9           writes exercises/09_conv.py: the task in Chinese and English, the signatures,
                                    TODOs, and what a correct answer produces
    torchstart check 9 [FILE]       runs the file in a separate process: one line per check, ✓ or ✗ with a hint
    torchstart hint 9               the next hint;   torchstart solution 9 > mine.py   a file that passes

Every exercise lives in three places, one concern each:
  - this registry: the task, what a correct answer produces, the hints and the time limit — text, for the catalog;
  - solutions/NN_name.py: the reference solution, the learner's parts between `### BEGIN SOLUTION` and
    `### END SOLUTION`; the starter is made from it (starter.py);
  - checks/<lesson name>.py: the checks against torch and the course's numbers, and the mistakes they recognise.
The CLI, the docs page (docs/{zh,en}/exercises.md) and the tests all read this one list. This module imports
no torch, so listing exercises, writing starters and giving hints are instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..i18n import _
from ..lessons import Lesson, find_lesson
from .texts import TEXTS

SOLUTIONS = Path(__file__).with_name("solutions")
DEFAULT_DIR = Path("exercises")  # where starters are written and progress is kept, relative to the current folder


@dataclass(frozen=True)
class Exercise:
    number: int  # the lesson's number: `torchstart exercise 9` is lesson 9's exercise
    task: str  # N_(): what to write, in a few sentences
    expect: str  # N_(): what a correct answer produces (shapes, numbers to reach)
    hints: tuple[str, ...]  # N_(): shown one at a time by `torchstart hint`, the gentlest first
    time_limit: float = 30.0  # seconds for the whole check, the child's import of torch included

    @property
    def lesson(self) -> Lesson:
        return find_lesson(self.number)

    @property
    def name(self) -> str:
        return self.lesson.name

    @property
    def file_name(self) -> str:
        """"09_conv.py": the starter's name, and the solution's in solutions/."""
        return f"{self.number:02d}_{self.name}.py"

    @property
    def solution_path(self) -> Path:
        return SOLUTIONS / self.file_name

    @property
    def checks_module(self) -> str:
        return f"{__name__}.checks.{self.name}"


EXERCISES: tuple[Exercise, ...] = tuple(Exercise(number, *fields) for number, *fields in TEXTS)


def find_exercise(key: str | int) -> Exercise:
    """The exercise of the lesson with this number, name or Chinese keyword ("9", 9, "conv", "卷积")."""
    lesson = find_lesson(key)
    for exercise in EXERCISES:
        if exercise.number == lesson.number:
            return exercise
    numbers = ", ".join(str(e.number) for e in EXERCISES)
    raise ConfigError(_("lesson {number} ({name}) has no exercise").format(number=lesson.number, name=lesson.name),
                      _("pick one of: {numbers} (torchstart exercises lists them)").format(numbers=numbers))


__all__ = ["DEFAULT_DIR", "EXERCISES", "Exercise", "find_exercise"]
