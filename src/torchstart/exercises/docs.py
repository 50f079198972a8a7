"""The exercise table of docs/{zh,en}/exercises.md, generated from the registry and the check modules.

    python -m torchstart.exercises.docs      # rewrites the block between <!-- BEGIN exercises --> and <!-- END … -->

tests/exercises checks that the committed pages hold what this makes, so the docs list exactly the exercises,
checks and recognised mistakes the code has.
"""

from __future__ import annotations

from pathlib import Path

from ..i18n import in_language
from . import EXERCISES, Exercise

DOCS = Path(__file__).resolve().parents[3] / "docs"  # src/torchstart/exercises/docs.py → <checkout>/docs
BEGIN, END = "<!-- BEGIN exercises -->", "<!-- END exercises -->"
HEADERS = {"zh": "| # | 练习 | 要写什么 | 检查 | 能认出的典型错误 |",
           "en": "| # | exercise | what you write | checks | typical mistakes it recognises |"}


def _cell(texts: list[str]) -> str:
    return "<br>".join(text.replace("|", "\\|") for text in texts)


def exercise_row(exercise: Exercise, lang: str) -> str:
    module = exercise.load_checks()
    checks = [("✓ " + in_language(check.title, lang)) for check in module.CHECKS]
    mistakes = [in_language(mistake.name, lang) for mistake in module.MISTAKES]
    lesson = f"[{exercise.name}](../../src/torchstart/course/{exercise.chapter.folder.name}/{lang}.md)"
    return (f"| {exercise.number} | {lesson} | {_cell([exercise.task.get(lang)])} | {_cell(checks)} | "
            f"{_cell(mistakes)} |")


def exercise_table(lang: str) -> str:
    rows = [HEADERS[lang], "|---|---|---|---|---|"] + [exercise_row(e, lang) for e in EXERCISES]
    return "\n".join(rows)


def page_with_table(text: str, lang: str) -> str:
    """`text` (a docs page) with its generated block replaced; ValueError when the markers are missing."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"no {BEGIN} … {END} block")
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{exercise_table(lang)}\n{END}{tail}"


def page(lang: str) -> Path:
    return DOCS / lang / "exercises.md"


if __name__ == "__main__":
    for language in ("zh", "en"):
        path = page(language)
        path.write_text(page_with_table(path.read_text(encoding="utf-8"), language), encoding="utf-8")
        print(f"wrote {path}")  # not text: a maintainer's script
