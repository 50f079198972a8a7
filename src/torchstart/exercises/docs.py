"""The exercise table of docs/{zh,en}/exercises.md and the exercise at the end of each chapter's page, generated
from the registry and the check modules.

    python -m torchstart.exercises.docs      # rewrites the block between <!-- BEGIN exercises --> and <!-- END … -->
                                             # in the docs, and <!-- BEGIN exercise --> … in every chapter page
                                             # (one section per exercise: 9, then 9b)

tests/exercises checks that the committed pages hold what this makes, so the docs list exactly the exercises,
checks and recognised mistakes the code has. scripts/make_pages.py adds the chapter's block to the pages it makes.
"""

from __future__ import annotations

from pathlib import Path

from ..course import Chapter
from ..i18n import in_language
from . import EXERCISES, Exercise

DOCS = Path(__file__).resolve().parents[3] / "docs"  # src/torchstart/exercises/docs.py → <checkout>/docs
BEGIN, END = "<!-- BEGIN exercises -->", "<!-- END exercises -->"
CHAPTER_BEGIN, CHAPTER_END = "<!-- BEGIN exercise -->", "<!-- END exercise -->"
CHAPTER_WORDS = {  # the exercise's section of a chapter page
    "zh": {"title": "## 练习 {number}", "task": "**要写什么：**", "expect": "**写对时：**", "checks": "**检查：**",
           "mistakes": "**能认出的典型错误：**", "try": "试试：`torchstart exercise {number}`，写完后 "
           "`torchstart check {number}`，卡住了就 `torchstart hint {number}`。"},
    "en": {"title": "## Exercise {number}", "task": "**What you write:**", "expect": "**When it is right:**",
           "checks": "**Checks:**", "mistakes": "**Typical mistakes it recognises:**",
           "try": "Try it: `torchstart exercise {number}`, then `torchstart check {number}`; stuck? "
           "`torchstart hint {number}`."},
}
HEADERS = {"zh": "| # | 练习 | 要写什么 | 检查 | 能认出的典型错误 |",
           "en": "| # | exercise | what you write | checks | typical mistakes it recognises |"}


def _cell(texts: list[str]) -> str:
    return "<br>".join(text.replace("|", "\\|") for text in texts)


def exercise_row(exercise: Exercise, lang: str) -> str:
    module = exercise.load_checks()
    checks = [("✓ " + in_language(check.title, lang)) for check in module.CHECKS]
    mistakes = [in_language(mistake.name, lang) for mistake in module.MISTAKES]
    lesson = f"[{exercise.name}](../../src/torchstart/course/{exercise.chapter.folder.name}/{lang}.md)"
    return (f"| {exercise.key} | {lesson} | {_cell([exercise.task.get(lang)])} | {_cell(checks)} | "
            f"{_cell(mistakes)} |")


def exercise_table(lang: str) -> str:
    rows = [HEADERS[lang], "|---|---|---|---|---|"] + [exercise_row(e, lang) for e in EXERCISES]
    return "\n".join(rows)


def _with_block(text: str, begin: str, end: str, body: str) -> str:
    """`text` with the block between `begin` and `end` replaced by `body`; ValueError when the markers are missing."""
    if begin not in text or end not in text:
        raise ValueError(f"no {begin} … {end} block")
    head, rest = text.split(begin, 1)
    _old, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def page_with_table(text: str, lang: str) -> str:
    """`text` (a docs page) with its generated block replaced; ValueError when the markers are missing."""
    return _with_block(text, BEGIN, END, exercise_table(lang))


def chapter_section(exercise: Exercise, lang: str) -> str:
    """The exercise as a chapter page shows it: the task, what a right answer gives, the checks and the mistakes."""
    words, module = CHAPTER_WORDS[lang], exercise.load_checks()
    lines = [words["title"].format(number=exercise.key), "", f"{words['task']} {exercise.task.get(lang)}", "",
             f"{words['expect']} {exercise.expect.get(lang)}", "", words["checks"], ""]
    lines += [f"- {in_language(check.title, lang)}" for check in module.CHECKS]
    lines += ["", words["mistakes"], ""] + [f"- {in_language(mistake.name, lang)}" for mistake in module.MISTAKES]
    return "\n".join([*lines, "", words["try"].format(number=exercise.key)])


def chapter_page_with_exercises(text: str, chapter: Chapter, lang: str) -> str:
    """A chapter page with its exercises' sections at the end (added when missing, replaced when there)."""
    if CHAPTER_BEGIN not in text:
        text = f"{text.rstrip()}\n\n{CHAPTER_BEGIN}\n{CHAPTER_END}\n"
    sections = [chapter_section(e, lang) for e in EXERCISES if e.number == chapter.number]
    return _with_block(text, CHAPTER_BEGIN, CHAPTER_END, "\n\n".join(sections))


def write_chapter_pages(chapter: Chapter) -> None:
    for lang in ("zh", "en"):
        path = chapter.page(lang)
        path.write_text(chapter_page_with_exercises(path.read_text(encoding="utf-8"), chapter, lang), encoding="utf-8")


def page(lang: str) -> Path:
    return DOCS / lang / "exercises.md"


if __name__ == "__main__":
    for language in ("zh", "en"):
        path = page(language)
        path.write_text(page_with_table(path.read_text(encoding="utf-8"), language), encoding="utf-8")
        print(f"wrote {path}")  # not text: a maintainer's script
    lessons = {e.chapter.number: e.chapter for e in EXERCISES}
    for each in lessons.values():
        write_chapter_pages(each)
    print(f"wrote the exercise sections of {len(lessons)} chapter pages")  # not text
