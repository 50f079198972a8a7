"""The course: one folder per chapter, found by scanning this package — no hand-kept list.

    course/09_conv/
        chapter.toml   the chapter's facts: course chapter, goal (zh, en), keywords, video episode, the
                       variables its numbers live in, the site's search terms (zh, en), and the exercise's
                       words (task, expect, hints)
        lesson.py      the lesson as a literate script (jupytext percent format: prose cells in zh and en,
                       the code a learner types); `torchstart lesson 9` runs it cell by cell
        exercise.py    the exercise's reference solution; the starter is made from it
        checks.py      the exercise's checks
        exercise_b.py, checks_b.py   a second exercise (`torchstart exercise 9b`), where the chapter has
                       one: its words are the [exercise_b] table of chapter.toml
        zh.md, en.md   the page: lesson.py executed (scripts/make_pages.py), code with its real outputs
        figures/       the pictures those pages show

Adding a chapter means adding a folder named NN_name. The CLI, the pages, the notebooks, the exercises and
the tests all read this registry. This module imports no torch: listing chapters is instant.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import ConfigError
from ..i18n import _, language

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
FOLDER = re.compile(r"^(\d\d)_([a-z][a-z0-9_]*)$")  # 09_conv → lesson 9, name "conv"
VIDEO = "https://www.bilibili.com/video/BV1hE411t7RN"  # the course's videos (土堆, bilibili)


@dataclass(frozen=True)
class Words:
    """One text in both languages; `str(words)` is the learner's language."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.get(language())

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Terms:
    """A few words in each language: a chapter's search terms, shown under its title on the course site."""

    zh: tuple[str, ...]
    en: tuple[str, ...]

    def get(self, lang: str) -> tuple[str, ...]:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class ExerciseText:
    part: str  # "" for the chapter's exercise ([exercise], exercise.py), "b" for the second ([exercise_b], …)
    task: Words  # what to write, in a few sentences
    expect: Words  # what a correct answer produces
    hints: tuple[Words, ...]  # shown one at a time by `torchstart hint`, the gentlest first
    time_limit: float = 30.0  # seconds for the whole check, the child's import of torch included
    hint_checks: tuple[int, ...] = ()  # the check (1, 2, …) each hint is about; `hint` starts at the failed one

    def first_hint_for(self, check: int) -> int:
        """The index of the first hint about check number `check`; without one, of the last hint about an earlier
        check (the nearest help), else 0."""
        exact = [i for i, about in enumerate(self.hint_checks) if about == check]
        earlier = [i for i, about in enumerate(self.hint_checks) if about < check]
        return exact[0] if exact else earlier[-1] if earlier else 0


@dataclass(frozen=True)
class Chapter:
    number: int
    name: str  # the CLI name, e.g. "conv"
    folder: Path
    chapter: str  # the course chapter(s) it follows, e.g. "九"
    goal: Words
    keywords: tuple[str, ...]  # Chinese names a learner may type: `torchstart lesson 卷积`
    search: Terms  # what the site's search should find the chapter by: 反向传播, backpropagation
    episode: int | None  # the course video's episode (p=…), where it is known
    results: tuple[str, ...]  # the script's variables that hold the chapter's numbers (--json, tests)
    exercises: tuple[ExerciseText, ...]  # [exercise], then [exercise_b], …: the chapter's exercises in order

    @property
    def exercise(self) -> ExerciseText | None:
        """The chapter's first exercise (None: it has none)."""
        return self.exercises[0] if self.exercises else None

    @property
    def slug(self) -> str:
        """"09-conv": the stem of run folders and notebooks."""
        return f"{self.number:02d}-{self.name}"

    @property
    def script(self) -> Path:
        return self.folder / "lesson.py"

    @property
    def video(self) -> str:
        return f"{VIDEO}?p={self.episode}" if self.episode else VIDEO

    def page(self, lang: str) -> Path:
        return self.folder / f"{lang}.md"


def _words(table: dict, key: str) -> Words:
    return Words(zh=table[key]["zh"], en=table[key]["en"])


PART = re.compile(r"^exercise(?:_([b-z]))?$")  # [exercise] → part "", [exercise_b] → part "b"


def _exercise(part: str, table: dict) -> ExerciseText:
    hints = tuple(Words(zh, en) for zh, en in zip(table["hints"]["zh"], table["hints"]["en"], strict=True))
    about = tuple(table["hints"].get("checks", ()))
    if about and len(about) != len(hints):
        raise ValueError(f"[exercise.hints] checks has {len(about)} numbers for {len(hints)} hints")
    return ExerciseText(part, _words(table, "task"), _words(table, "expect"), hints,
                        float(table.get("time_limit", 30)), about)


def _exercises(facts: dict) -> tuple[ExerciseText, ...]:
    """The chapter's exercise tables, [exercise] first, then [exercise_b], … in the order of their letters."""
    parts = sorted((match[1] or "", key) for key in facts if (match := PART.match(key)))
    return tuple(_exercise(part, facts[key]) for part, key in parts)


def read_chapter(folder: Path) -> Chapter:
    """The chapter in `folder` (named NN_name), from its chapter.toml."""
    match = FOLDER.match(folder.name)
    if match is None:
        raise ValueError(f"{folder} is not named NN_name")
    facts = tomllib.loads((folder / "chapter.toml").read_text(encoding="utf-8"))
    return Chapter(number=int(match[1]), name=match[2], folder=folder, chapter=facts["chapter"],
                   goal=_words(facts, "goal"), keywords=tuple(facts.get("keywords", ())),
                   search=Terms(*(tuple(facts.get("search", {}).get(lang, ())) for lang in ("zh", "en"))),
                   episode=facts.get("episode"), results=tuple(facts.get("results", ())),
                   exercises=_exercises(facts))


@cache
def chapters(root: Path = HERE) -> tuple[Chapter, ...]:
    """Every chapter folder under `root`, in course order."""
    folders = sorted(p for p in root.iterdir() if FOLDER.match(p.name) and (p / "chapter.toml").is_file())
    return tuple(read_chapter(folder) for folder in folders)


def find_chapter(key: str | int) -> Chapter:
    """The chapter with this number, name or Chinese keyword ("9", 9, "09", "conv", "卷积")."""
    text = str(key).strip().lower()
    for chapter in chapters():
        if text in (chapter.name, str(chapter.number), f"{chapter.number:02d}", *chapter.keywords):
            return chapter
    names = ", ".join(f"{c.number} {c.name}" for c in chapters())
    raise ConfigError(_("there is no lesson {key!r}").format(key=key),
                      _("pick a number 1–{count} or a name: {names}").format(count=len(chapters()), names=names))


__all__ = ["Chapter", "ExerciseText", "Terms", "Words", "chapters", "find_chapter", "read_chapter"]
