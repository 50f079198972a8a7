"""torchstart notebook: every lesson exports to a valid notebook; a few run in a fresh Jupyter kernel."""

import ast
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from torchstart.cli import main
from torchstart.lessons import LESSONS, find_lesson
from torchstart.lessons.runner import run_lesson
from torchstart.tools.notebook import REPO_DOCS, code_cells, lesson_notebook, markdown_sections

EXECUTED = ["env", "conv", "maxpool", "losses", "save_load"]  # the four + one that pickles in the kernel
KERNEL_TIMEOUT_S = 300  # per cell, generous for a loaded CI machine


def sources(notebook: dict, kind: str) -> list[str]:
    return [cell["source"] for cell in notebook["cells"] if cell["cell_type"] == kind]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_lesson_exports_a_valid_notebook_of_its_page_and_code(lesson, lang):
    notebook = lesson_notebook(lesson, lang)
    nbformat.validate(nbformat.from_dict(notebook))
    page = (REPO_DOCS / lang / "lessons" / f"{lesson.slug}.md").read_text(encoding="utf-8")
    markdown = sources(notebook, "markdown")
    assert markdown[0] == markdown_sections(page)[0] and markdown[2:] == markdown_sections(page)[1:]
    code = sources(notebook, "code")
    for cell in code:
        tree = ast.parse(cell)  # every cell is valid Python on its own
        assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree)), cell
        assert not any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body), cell
        assert "lesson_main" not in {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}, cell
    assert any(cell.startswith("def run(") for cell in code) and any("def describe(" in cell for cell in code)
    assert code[-1].endswith("print(describe(result))")


def test_code_cells_make_imports_absolute_and_drop_the_command_line_entry():
    source = '''"""Docstring."""

from __future__ import annotations

import torch

from ..device import pick_device
from .runner import lesson_main

# the course's numbers
SIZES = [1, 2]

LIMIT = 3  # images


@dataclass
class Result:
    x: int


def run(*, out=None) -> Result:
    return Result(len(SIZES))


def main(argv=None) -> int:
    return lesson_main("x", argv)


if __name__ == "__main__":
    raise SystemExit(main())
'''
    assert code_cells(source) == [
        "from __future__ import annotations\n\nimport torch\n\nfrom torchstart.device import pick_device",
        "# the course's numbers\nSIZES = [1, 2]\n\nLIMIT = 3  # images",
        "@dataclass\nclass Result:\n    x: int",
        "def run(*, out=None) -> Result:\n    return Result(len(SIZES))",
    ]


def test_without_the_docs_folder_the_module_docstring_is_the_text(tmp_path):
    conv = find_lesson("conv")
    notebook = lesson_notebook(conv, "en", docs_root=tmp_path)
    markdown = sources(notebook, "markdown")
    assert markdown[0] == "# 9. conv" and markdown[2] == conv.load().__doc__.strip()
    assert notebook["metadata"]["torchstart"] == {"lesson": "conv", "slug": "09-conv", "docs": None}


def test_cli_writes_the_notebook(tmp_path, capsys):
    path = tmp_path / "nb" / "conv.ipynb"
    assert main(["notebook", "9", "-o", str(path), "--lang", "en"]) == 0
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["torchstart"]["docs"].endswith("docs/en/lessons/09-conv.md")
    assert capsys.readouterr().out.startswith(f"wrote {path}: {len(notebook['cells'])} cells, text from ")


@pytest.mark.slow
@pytest.mark.parametrize("name", EXECUTED)
def test_exported_notebook_runs_in_a_fresh_kernel_and_prints_what_the_lesson_prints(name, tmp_path, monkeypatch):
    lesson = find_lesson(name)
    notebook = nbformat.from_dict(lesson_notebook(lesson))
    (tmp_path / "kernel").mkdir()
    NotebookClient(notebook, timeout=KERNEL_TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path / "kernel")}}).execute()  # raises on any cell error
    printed = "".join(output.get("text", "") for output in notebook.cells[-1].outputs if output.get("name") == "stdout")
    # the same lesson run here, from a folder of its own with the notebook's relative output path
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    expected = lesson.load().describe(run_lesson(lesson, out=Path("runs") / "lessons" / lesson.slug))
    assert printed.strip() == expected.strip()
