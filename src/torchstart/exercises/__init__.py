"""Exercises: one per chapter, and a second one (9b) where the course has the learner write the most code,
registered next to their lesson.

    torchstart exercises            the list, with your status (not started / not checked yet / failing / passed)
    torchstart exercise 9           writes exercises/09_conv.py: the task in Chinese and English, the signatures,
                                    TODOs, and what a correct answer produces
    torchstart check 9 [FILE]       runs the file in a separate process: one line per check, ✓ or ✗ with a hint
    torchstart hint 9               the next hint;   torchstart solution 9 > mine.py   a file that passes
    torchstart exercise 9b          the chapter's second exercise: exercises/09_conv_b.py, and so on

Every exercise lives in its chapter's folder (torchstart/course/NN_name/), one concern a file:
  - chapter.toml [exercise]: the task, what a correct answer produces, the hints and the time limit, zh and en;
  - exercise.py: the reference solution, the learner's parts between `### BEGIN SOLUTION` and `### END SOLUTION`;
    the starter is made from it (starter.py);
  - checks.py: the checks against torch and the course's numbers, and the mistakes they recognise;
  - a second exercise has the same three: [exercise_b], exercise_b.py, checks_b.py.
The CLI, the docs page (docs/{zh,en}/exercises.md) and the tests all read the chapters' registry. This module
imports no torch, so listing exercises, writing starters and giving hints are instant.
"""

from __future__ import annotations

import importlib.util
import re
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
    text: ExerciseText  # its words; text.part is "" (exercise 9) or "b" (exercise 9b)

    @property
    def number(self) -> int:
        """The chapter's number: 9 for exercises 9 and 9b."""
        return self.chapter.number

    @property
    def key(self) -> str:
        """"9" or "9b": what the learner types after `torchstart exercise`, and what every message shows."""
        return f"{self.number}{self.text.part}"

    @property
    def name(self) -> str:
        """"conv" or "conv_b": the key of its progress (exercises/.progress.json) and the stem of its files."""
        return f"{self.chapter.name}_{self.text.part}" if self.text.part else self.chapter.name

    @property
    def suffix(self) -> str:
        """"" or "_b": what the chapter's files of this exercise add to their names (exercise_b.py, checks_b.py)."""
        return f"_{self.text.part}" if self.text.part else ""

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
        return self.chapter.folder / f"exercise{self.suffix}.py"

    @property
    def checks_module(self) -> str:
        """The name the chapter's checks.py (checks_b.py) is imported under (`load_checks`)."""
        return f"torchstart.course.checks_{self.number:02d}_{self.name}"

    def load_checks(self) -> ModuleType:
        """The exercise's checks as a module (imported once; its folder name starts with a digit)."""
        if self.checks_module not in sys.modules:
            path = self.chapter.folder / f"checks{self.suffix}.py"
            spec = importlib.util.spec_from_file_location(self.checks_module, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[self.checks_module] = module
            spec.loader.exec_module(module)
        return sys.modules[self.checks_module]


EXERCISES: tuple[Exercise, ...] = tuple(Exercise(chapter, text) for chapter in chapters() for text in chapter.exercises)
SECOND = re.compile(r"^(?P<lesson>\d+)(?P<part>[b-z])$")  # "9b", "09b": lesson 9's second exercise


def find_exercise(key: str | int) -> Exercise:
    """The exercise with this key or name ("9", 9, "9b", "conv", "conv_b"), or the first exercise of the lesson
    with this number, name or Chinese keyword ("09", "卷积")."""
    text = str(key).strip().lower()
    named = [e for e in EXERCISES if text in (e.key, e.name)]
    if named:
        return named[0]
    second = SECOND.match(text)
    chapter = find_chapter(second["lesson"] if second else key)
    part = second["part"] if second else ""
    for exercise in EXERCISES:
        if exercise.number == chapter.number and exercise.text.part == part:
            return exercise
    keys = ", ".join(e.key for e in EXERCISES)
    raise ConfigError(_("lesson {number} ({name}) has no exercise {key}").format(
        number=chapter.number, name=chapter.name, key=f"{chapter.number}{part}"),
        _("pick one of: {numbers} (torchstart exercises lists them)").format(numbers=keys))


__all__ = ["DEFAULT_DIR", "EXERCISES", "Exercise", "find_exercise"]
