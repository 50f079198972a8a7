"""`torchstart notebook N --exercise`: an exercise as a Jupyter notebook whose last cell runs the same check.

    [markdown] the exercise: the lesson, the task and what a correct answer gives (in the chosen language)
    [code]     %%writefile 09_conv.py      ← the starter; edit it here, run the cell to save the file
    [markdown] how to check
    [code]     check_in_notebook(9, "09_conv.py")   ← the same check as `torchstart check 9 09_conv.py`

The code cell writes a real file (IPython's %%writefile) because the check runs that file in a separate
process, exactly as on the command line; `%run 09_conv.py` in a new cell tries it in the notebook itself.
"""

from __future__ import annotations

from pathlib import Path

from .._version import __version__
from ..i18n import N_, in_language
from . import Exercise
from .starter import starter_text

# The help of `torchstart notebook --exercise` (the flag lives with the notebook command in the CLI).
EXERCISE_FLAG_HELP = N_("export the lesson's exercise instead: the starter to edit, and a last cell that checks it")

TEXT = (
    N_("# Exercise {number}: {name}"),
    N_("Course chapter {chapter}: {goal}"),
    N_("**Task:** {task}"),
    N_("**When it is right:** {expect}"),
    N_("Edit the next cell — replace each TODO with your code — and run it: it saves your code as `{file}`. Exported "
       "by torchstart {version}."),
    N_("Run the last cell to check your file: one line per check, ✓ or ✗ with a hint. Stuck? `torchstart hint "
       "{number}` in a terminal gives one hint at a time."),
)


def _cell(kind: str, index: int, source: str) -> dict:
    cell = {"cell_type": kind, "id": f"{kind}-{index}", "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def exercise_notebook(exercise: Exercise, lang: str = "zh") -> dict:
    """The exercise as an nbformat-4 notebook (a dict); its last cell checks the file the code cell writes."""
    lesson = exercise.chapter
    fields = {"number": exercise.key, "name": exercise.name, "chapter": lesson.chapter,
              "goal": lesson.goal.get(lang), "task": exercise.task.get(lang),
              "expect": exercise.expect.get(lang), "file": exercise.file_name, "version": __version__}
    title, chapter, task, expect, edit, check = (in_language(text, lang).format(**fields) for text in TEXT)
    code = f"%%writefile {exercise.file_name}\n" + starter_text(exercise).rstrip("\n")
    run = f"from torchstart.exercises.check import check_in_notebook\n\ncheck_in_notebook({exercise.key!r}, " \
          f"{exercise.file_name!r})"
    cells = [_cell("markdown", 0, "\n\n".join([title, chapter, task, expect, edit])), _cell("code", 0, code),
             _cell("markdown", 1, check), _cell("code", 1, run)]
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "language_info": {"name": "python"},
                         "torchstart": {"exercise": exercise.name, "slug": notebook_slug(exercise), "docs": None}}}


def notebook_slug(exercise: Exercise) -> str:
    """"09-conv-exercise" ("09-conv-exercise-b"): the notebook's default file name without .ipynb."""
    return f"{exercise.chapter.slug}-exercise{exercise.suffix.replace('_', '-')}"


def default_notebook_path(exercise: Exercise) -> Path:
    return Path(f"{notebook_slug(exercise)}.ipynb")
