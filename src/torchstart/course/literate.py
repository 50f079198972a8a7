"""A chapter's lesson.py read as a notebook (jupytext percent format), seen in one language.

The script holds both languages once:
  - prose cells: `# %% [markdown] lang="zh"` and `# %% [markdown] lang="en"` (a cell without `lang` is shown in both);
  - comments in code: a line `# zh: …` or `# en: …` is kept in its language only (without the marker), and a
    trailing `# zh: … | en: …` keeps the half in the view's language; other comments (shapes, units) are shown
    in both.
Code cells are shared, so the Chinese and English views run the same code and print the same numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import Chapter

LANG_LINE = re.compile(r"^(?P<indent>\s*)# (?P<lang>zh|en): ?(?P<text>.*)$")
PAIR = re.compile(r"#\s*zh:\s*(?P<zh>.*?)\s*\|\s*en:\s*(?P<en>.*?)\s*$")  # code  # zh: … | en: …


@dataclass(frozen=True)
class Cell:
    kind: str  # "code" or "markdown"
    source: str  # in the view's language
    index: int  # 1-based position among the script's cells (as the learner counts `# %%` markers)


def localize_code(source: str, lang: str) -> str:
    """`source` with its marked comments in `lang` and the other language's removed."""
    lines = []
    for line in source.splitlines():
        marked = LANG_LINE.match(line)
        if marked:
            if marked["lang"] == lang:
                lines.append(f"{marked['indent']}# {marked['text']}".rstrip())
            continue
        pair = PAIR.search(line)
        if pair:
            line = f"{line[:pair.start()]}# {pair[lang]}"
        lines.append(line)
    return "\n".join(lines)


def read_notebook(script: Path):
    """The script as an nbformat notebook, both languages in it (jupytext)."""
    import jupytext

    return jupytext.read(script, fmt="py:percent")


def cells(chapter: Chapter, lang: str) -> list[Cell]:
    """The lesson's cells as a learner of `lang` reads them: that language's prose, the shared code."""
    shown = []
    for index, cell in enumerate(read_notebook(chapter.script).cells, start=1):
        if cell.metadata.get("lang", lang) != lang or not cell.source.strip():
            continue
        source = localize_code(cell.source, lang) if cell.cell_type == "code" else cell.source
        shown.append(Cell(cell.cell_type, source, index))
    return shown


def code(chapter: Chapter, lang: str) -> str:
    """The lesson's code alone, comments in `lang`: `torchstart lesson 9 --code > conv.py && python conv.py`."""
    return "\n\n\n".join(cell.source for cell in cells(chapter, lang) if cell.kind == "code") + "\n"


def notebook(chapter: Chapter, lang: str):
    """The lesson as a notebook in `lang` (prose and code cells, no outputs), with the chapter in its metadata."""
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(c.source) if c.kind == "code" else nbformat.v4.new_markdown_cell(c.source)
                  for c in cells(chapter, lang)]
    book.metadata.update({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "torchstart": {"lesson": chapter.number, "name": chapter.name, "lang": lang},
    })
    return book
