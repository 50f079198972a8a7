"""Exercises: one per chapter where the course has the learner write code, registered next to its lesson.

    torchstart exercises            the list, with your status (not started / not checked yet / failing / passed)
    torchstart exercise 9           writes exercises/09_conv.py: the task in Chinese and English, the signatures,
                                    TODOs, and what a correct answer produces
    torchstart check 9 [FILE]       runs the file in a separate process: one line per check, ✓ or ✗ with a hint
    torchstart hint 9               the next hint;   torchstart solution 9 > mine.py   a file that passes

Every exercise lives in its chapter's folder (torchstart/course/NN_name/), one concern a file:
  - chapter.toml [exercise]: the task, what a correct answer produces, the hints and the time limit, zh and en;
  - exercise.py: the reference solution, the learner's parts between `### BEGIN SOLUTION` and `### END SOLUTION`;
    the starter is made from it (starter.py);
  - checks.py: the checks against torch and the course's numbers, and the mistakes they recognise.
The CLI, the docs page (docs/{zh,en}/exercises.md) and the tests all read the chapters' registry. This module
imports no torch, so listing exercises, writing starters and giving hints are instant.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..course import Chapter, ExerciseText, Words, chapters, find_chapter
from ..errors import ConfigError
from ..i18n import _

DEFAULT_DIR = Path("exercises")  # where starters are written and progress is kept, relative to the current folder


@dataclass(frozen=True)
class Exercise:
    chapter: Chapter  # `torchstart exercise 9` is chapter 9's exercise

    @property
    def text(self) -> ExerciseText:
        assert self.chapter.exercise is not None
        return self.chapter.exercise

    @property
    def number(self) -> int:
        return self.chapter.number

    @property
    def name(self) -> str:
        return self.chapter.name

    @property
    def task(self) -> Words:
        return self.text.task

    @property
    def expect(self) -> Words:
        return self.text.expect

    @property
    def hints(self) -> tuple[Words, ...]:
        return self.text.hints

    @property
    def time_limit(self) -> float:
        return self.text.time_limit

    @property
    def file_name(self) -> str:
        """"09_conv.py": the starter's name."""
        return f"{self.number:02d}_{self.name}.py"

    @property
    def solution_path(self) -> Path:
        return self.chapter.folder / "exercise.py"

    @property
    def checks_module(self) -> str:
        """The name the chapter's checks.py is imported under (`load_checks`)."""
        return f"torchstart.course.checks_{self.number:02d}_{self.name}"

    def load_checks(self) -> ModuleType:
        """The chapter's checks.py as a module (imported once; its folder name starts with a digit)."""
        if self.checks_module not in sys.modules:
            spec = importlib.util.spec_from_file_location(self.checks_module, self.chapter.folder / "checks.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[self.checks_module] = module
            spec.loader.exec_module(module)
        return sys.modules[self.checks_module]


EXERCISES: tuple[Exercise, ...] = tuple(Exercise(chapter) for chapter in chapters() if chapter.exercise is not None)


def find_exercise(key: str | int) -> Exercise:
    """The exercise of the lesson with this number, name or Chinese keyword ("9", 9, "conv", "卷积")."""
    chapter = find_chapter(key)
    for exercise in EXERCISES:
        if exercise.number == chapter.number:
            return exercise
    numbers = ", ".join(str(e.number) for e in EXERCISES)
    raise ConfigError(_("lesson {number} ({name}) has no exercise").format(number=chapter.number, name=chapter.name),
                      _("pick one of: {numbers} (torchstart exercises lists them)").format(numbers=numbers))


__all__ = ["DEFAULT_DIR", "EXERCISES", "Exercise", "find_exercise"]
