"""torchstart notebook: every lesson exports to a valid notebook; a few run in a fresh Jupyter kernel."""

import ast
import base64
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from torchstart.cli import main
from torchstart.lessons import LESSONS, find_lesson
from torchstart.lessons.runner import run_lesson
from torchstart.tools.notebook import REPO_DOCS, code_cells, lesson_notebook, markdown_sections, portable_markdown

EXECUTED = ["env", "conv", "maxpool", "losses", "save_load"]  # the four + one that pickles in the kernel
KERNEL_TIMEOUT_S = 300  # per cell, generous for a loaded CI machine


def sources(notebook: dict, kind: str) -> list[str]:
    return [cell["source"] for cell in notebook["cells"] if cell["cell_type"] == kind]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_lesson_exports_a_valid_notebook_of_its_page_and_code(lesson, lang):
    notebook = lesson_notebook(lesson, lang)
    nbformat.validate(nbformat.from_dict(notebook))
    page = REPO_DOCS / lang / "lessons" / f"{lesson.slug}.md"
    sections = [portable_markdown(s, page, lang)[0] for s in markdown_sections(page.read_text(encoding="utf-8"))]
    markdown = sources(notebook, "markdown")
    assert markdown[0] == sections[0] and markdown[2:] == sections[1:]
    for text in markdown:  # nothing points back into the checkout: the notebook is read wherever it was written
        targets = [m.group(1) for m in re.finditer(r"\]\(([^)]*)\)", text)]
        assert all(target.startswith(("http://", "https://", "#", "attachment:")) for target in targets), targets
        assert "<!--" not in text
    assert not any(str(value).startswith("/") for value in notebook["metadata"]["torchstart"].values())
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
    assert notebook["metadata"]["torchstart"] == {"lesson": "conv", "slug": "09-conv", "language": "en", "docs": None}


def test_cli_writes_the_notebook(tmp_path, capsys):
    path = tmp_path / "nb" / "conv.ipynb"
    assert main(["notebook", "9", "-o", str(path), "--lang", "en"]) == 0  # --lang: the global flag, anywhere
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["torchstart"]["docs"] == "docs/en/lessons/09-conv.md"  # relative to the repository
    assert capsys.readouterr().out.startswith(f"wrote {path}: {len(notebook['cells'])} cells, text from ")
    markdown, code = sources(notebook, "markdown"), sources(notebook, "code")
    assert markdown[0].startswith("# Lesson 9") and markdown[1].startswith("Exported by `torchstart notebook conv`")
    assert "`torchstart.lessons.conv` (`python -m torchstart.lessons.conv`)" in markdown[0]
    assert "`torchstart notebook 9 --lang zh`" in markdown[0]  # the other language's page: the command that makes it
    assert code[-1].splitlines()[2] == ("# run the lesson as `torchstart lesson conv` does; what it writes goes to "
                                        "runs/lessons/09-conv")


def test_a_chinese_notebook_by_the_locale(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TORCHSTART_LANG", "zh")
    assert main(["notebook", "卷积", "-o", str(tmp_path)]) == 0
    notebook = json.loads((tmp_path / "09-conv.ipynb").read_text(encoding="utf-8"))
    markdown, code = sources(notebook, "markdown"), sources(notebook, "code")
    assert markdown[0].startswith("# 第 9 课") and markdown[1].startswith("由 `torchstart notebook conv` 导出")
    assert "English: `torchstart notebook 9 --lang en`" in markdown[0]
    assert code[-1].splitlines()[2] == "# 像 `torchstart lesson conv` 一样运行这一课；它写出的文件放在 " \
                                       "runs/lessons/09-conv"
    assert capsys.readouterr().out.startswith(f"已写出 {tmp_path / '09-conv.ipynb'}：")
    assert main(["notebook", "9", "--lang", "fr"]) == 2  # only the languages we have text for


def test_links_and_pictures_are_made_to_work_anywhere(tmp_path):
    repo = tmp_path / "repo"
    page = repo / "docs" / "en" / "lessons" / "10-maxpool.md"
    page.parent.mkdir(parents=True)
    (repo / "docs" / "images").mkdir()
    (repo / "docs" / "images" / "pooled.png").write_bytes(b"\x89PNG fake")
    text = ("See [the code](../../../src/torchstart/lessons/maxpool.py), [conv](09-conv.md), "
            "[中文](../../zh/lessons/10-maxpool.md), [the CLI](../cli.md), [engine](../../../src/torchstart/training/"
            "engine.py), [PyTorch](https://pytorch.org), [below](#what-it-shows).\n"
            "![pooled](../../images/pooled.png) ![gone](../../images/missing.png)")
    markdown, attachments = portable_markdown(text, page, "en", repo)
    assert markdown == ("See the code (`torchstart.lessons.maxpool` (`python -m torchstart.lessons.maxpool`)), "
                        "conv (`torchstart notebook 9`), 中文 (`torchstart notebook 10 --lang zh`), "
                        "the CLI (`docs/en/cli.md`), engine (`torchstart.training.engine`), "
                        "[PyTorch](https://pytorch.org), [below](#what-it-shows).\n"
                        "![pooled](attachment:pooled.png) gone")
    assert attachments == {"pooled.png": {"image/png": base64.b64encode(b"\x89PNG fake").decode()}}


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
