"""torchstart notebook: every lesson exports as a valid notebook of its own script; some run in a fresh kernel."""

import nbformat
import pytest
from nbclient import NotebookClient

from torchstart.cli import main
from torchstart.course import chapters, find_chapter
from torchstart.course.literate import cells
from torchstart.tools.notebook import lesson_notebook

EXECUTED = [9, 10, 14, 17]  # conv, maxpool, losses, save_load (pickles in the kernel)
KERNEL_TIMEOUT_S = 300  # per cell, generous for a loaded CI machine


@pytest.mark.parametrize("chapter", chapters(), ids=lambda c: c.name)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_lesson_exports_a_valid_notebook_of_its_cells(chapter, lang):
    notebook = nbformat.from_dict(lesson_notebook(chapter, lang))
    nbformat.validate(notebook)
    assert [(c.cell_type, c.source) for c in notebook.cells] == [(c.kind, c.source) for c in cells(chapter, lang)]
    assert notebook.metadata["torchstart"] == {"lesson": chapter.number, "name": chapter.name, "lang": lang,
                                               "slug": chapter.slug}


def test_cli_writes_the_notebook_and_keeps_the_learners_one(tmp_path, capsys):
    assert main(["notebook", "conv", "-o", str(tmp_path)]) == 0
    path = tmp_path / "09-conv.ipynb"
    assert "09-conv.ipynb" in capsys.readouterr().out and path.is_file()
    path.write_text(path.read_text(encoding="utf-8").replace("Lesson 9", "My notes"), encoding="utf-8")
    assert main(["notebook", "conv", "-o", str(path)]) == 2  # a learner's notebook is never overwritten silently
    assert main(["notebook", "conv", "-o", str(path), "--force"]) == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("09-conv.ipynb.old-")]


@pytest.mark.slow
@pytest.mark.parametrize("number", EXECUTED)
def test_exported_notebook_runs_in_a_fresh_kernel_and_prints_what_the_lesson_prints(number, tmp_path, lesson_run):
    notebook = nbformat.from_dict(lesson_notebook(find_chapter(number), "en"))
    NotebookClient(notebook, timeout=KERNEL_TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()  # raises on any cell error
    printed = ["".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
               for cell in notebook.cells if cell.cell_type == "code"]
    assert printed == [run.output for run in lesson_run(number).cells]  # the kernel prints what `lesson` prints
