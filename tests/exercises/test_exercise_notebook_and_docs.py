"""The exercise notebook (`torchstart notebook N --exercise`) and the docs page's table, both from the registry."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from torchstart.exercises import EXERCISES, find_exercise
from torchstart.exercises.docs import (
    BEGIN,
    CHAPTER_END,
    END,
    chapter_page_with_exercises,
    exercise_table,
    page,
    page_with_table,
)
from torchstart.exercises.notebook import default_notebook_path, exercise_notebook
from torchstart.exercises.starter import solution_text, starter_text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_exercise_exports_a_notebook_whose_last_cell_runs_the_check(lang):
    for exercise in EXERCISES:
        notebook = exercise_notebook(exercise, lang)
        nbformat.validate(nbformat.from_dict(notebook))
        code = [cell["source"] for cell in notebook["cells"] if cell["cell_type"] == "code"]
        assert code[0] == f"%%writefile {exercise.file_name}\n" + starter_text(exercise).rstrip("\n")
        assert code[-1].endswith(f"check_in_notebook({exercise.key!r}, {exercise.file_name!r})")
        assert exercise.task.get(lang) in notebook["cells"][0]["source"]
    assert str(default_notebook_path(find_exercise(9))) == "09-conv-exercise.ipynb"


def test_the_notebook_runs_in_a_kernel_and_its_check_passes_with_the_solution(tmp_path):
    exercise = find_exercise("activations")
    notebook = nbformat.from_dict(exercise_notebook(exercise, "en"))
    notebook.cells[1].source = f"%%writefile {exercise.file_name}\n" + solution_text(exercise)  # as if solved
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    output = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    assert "all 5 checks passed" in output and (tmp_path / exercise.file_name).is_file()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_docs_page_lists_every_exercise_with_its_checks_and_mistakes(lang):
    text = page(lang).read_text(encoding="utf-8")
    assert page_with_table(text, lang) == text, "run: python -m torchstart.exercises.docs"
    table = exercise_table(lang)
    assert BEGIN in text and END in text and len(table.splitlines()) == 2 + len(EXERCISES)
    assert "145,578" in table and "✓" in table


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chapter_page_ends_with_its_exercises_as_the_checks_have_them(lang):
    for exercise in EXERCISES:
        text = exercise.chapter.page(lang).read_text(encoding="utf-8")
        assert chapter_page_with_exercises(text, exercise.chapter, lang) == text, \
            "run: python -m torchstart.exercises.docs"
        assert text.rstrip().endswith(CHAPTER_END) and f"torchstart check {exercise.key}`" in text
