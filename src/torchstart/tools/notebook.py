"""`torchstart notebook LESSON`: a lesson as a Jupyter notebook, for learners who work in Jupyter.

The notebook holds the lesson's docs page as markdown cells (one per section) and the lesson's own
source as code cells, split at its top-level definitions, then a last cell that runs it:

    result = run(out=Path("runs/lessons/09-conv"))
    print(describe(result))

Two changes make the module run as cells: relative imports become absolute (`from ..device import
pick_device` → `from torchstart.device import pick_device`), and the command-line entry (`main()` and
the `if __name__ == "__main__":` block) is left out. Only torchstart needs to be installed.

The docs pages live in the repository (docs/<lang>/lessons/NN-name.md), not in the installed package:
from a checkout (`pip install -e .`) they are found; elsewhere the module docstring stands in for them.
The notebook is plain nbformat-4 JSON written here, so exporting needs no Jupyter package.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from .._version import __version__
from ..errors import ConfigError
from ..files import atomic_write, kind_of, new_output, writable_dir
from ..lessons import Lesson

REPO_DOCS = Path(__file__).resolve().parents[3] / "docs"  # src/torchstart/tools/notebook.py → <checkout>/docs
LANGS = ("zh", "en")
CLI_ONLY = {"main", "lesson_main"}  # the command-line entry and its helper: not needed in a notebook
HEADER = {
    "zh": "由 `torchstart notebook {name}` 导出（torchstart {version}）。"
          "从上到下依次运行各单元即可，只需要安装 torchstart。",
    "en": "Exported by `torchstart notebook {name}` (torchstart {version}). Run the cells top to bottom; only "
          "torchstart needs to be installed.",
}


def docs_page(lesson: Lesson, lang: str, docs_root: Path = REPO_DOCS) -> Path | None:
    page = docs_root / lang / "lessons" / f"{lesson.slug}.md"
    return page if page.is_file() else None


def markdown_sections(text: str) -> list[str]:
    """A markdown page cut before every `## ` heading (lines inside ``` fences are never headings)."""
    sections, current, fenced = [], [], False
    for line in text.strip().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if line.startswith("## ") and not fenced and current:
            sections.append("\n".join(current).strip())
            current = []
        current.append(line)
    sections.append("\n".join(current).strip())
    return [s for s in sections if s]


def _absolute(node: ast.ImportFrom, package: str) -> ast.ImportFrom:
    """`from ..x import y` inside `package` as `from <package minus levels>.x import y`, minus CLI-only names."""
    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    module = ".".join(base + ([node.module] if node.module else []))
    names = [alias for alias in node.names if alias.name not in CLI_ONLY]
    return ast.ImportFrom(module=module, names=names, level=0)


def _is_cli_entry(node: ast.stmt) -> bool:
    if isinstance(node, ast.FunctionDef) and node.name in CLI_ONLY:
        return True
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def code_cells(source: str, package: str = "torchstart.lessons") -> list[str]:
    """The module's code as cells: the imports, each run of other statements, and each def/class on its own.

    Comments above a statement stay with it; the module docstring and the CLI entry are left out.
    """
    lines = source.splitlines()
    body = ast.parse(source).body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # the docstring: the markdown cells say the same
    cells: list[list[str]] = []
    previous_end, previous_kind = (body[0].lineno - 1 if body else 0), None
    for node in body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        gap = lines[previous_end:start - 1]  # comments (and blank lines) between the previous statement and this
        text = lines[start - 1:node.end_lineno]
        previous_end = node.end_lineno
        if _is_cli_entry(node):
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            node = _absolute(node, package)
            if not node.names:
                continue
            text = [ast.unparse(node)]
        kind = ("import" if isinstance(node, (ast.Import, ast.ImportFrom)) else
                "def" if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else "statement")
        if kind == "def" or kind != previous_kind or not cells:
            cells.append([])
            gap = [line for line in gap if line.strip()]  # a new cell starts at its first comment
        cells[-1] += gap + text
        previous_kind = kind
    return ["\n".join(cell).strip("\n") for cell in cells if any(line.strip() for line in cell)]


def run_cell(lesson: Lesson) -> str:
    """The last cell: run the lesson like `torchstart lesson NAME` does, writing under runs/lessons/<NN-name>."""
    return (f"from pathlib import Path\n\nresult = run(out=Path(\"runs/lessons/{lesson.slug}\"))\n"
            "print(describe(result))")


def _cell(kind: str, index: int, source: str) -> dict:
    cell = {"cell_type": kind, "id": f"{kind}-{index}", "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def lesson_notebook(lesson: Lesson, lang: str = "zh", docs_root: Path = REPO_DOCS) -> dict:
    """The notebook (nbformat 4.5 as a dict) of `lesson`, with its docs page in `lang` when one is found."""
    module = lesson.load()
    page = docs_page(lesson, lang, docs_root)
    if page is not None:
        markdown = markdown_sections(page.read_text(encoding="utf-8"))
    else:
        markdown = [f"# {lesson.number}. {lesson.name}", (module.__doc__ or "").strip()]
    markdown.insert(1, HEADER[lang].format(name=lesson.name, version=__version__))
    source = Path(module.__file__).read_text(encoding="utf-8")
    code = [*code_cells(source), run_cell(lesson)]
    cells = [_cell("markdown", i, text) for i, text in enumerate(markdown)]
    cells += [_cell("code", i, text) for i, text in enumerate(code)]
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "language_info": {"name": "python"},
                         "torchstart": {"lesson": lesson.name, "slug": lesson.slug,
                                        "docs": str(page) if page else None}}}


def write_notebook(notebook: dict, path: Path, *, force: bool = False) -> Path:
    """Write `notebook` at `path` (a folder: its default file name inside it) without losing a learner's file.

    An existing notebook — perhaps with the learner's own notes — is refused unless `force`, which keeps
    it aside as <name>.old-<time>.
    """
    path = Path(path)
    if kind_of(path, "-o", ConfigError) == "dir":
        path = path / f"{notebook['metadata']['torchstart']['slug']}.ipynb"
    writable_dir(path.parent)
    new_output(path, force=force, what="notebook")
    atomic_write(path, lambda f: f.write((json.dumps(notebook, ensure_ascii=False, indent=1) + "\n").encode("utf-8")))
    return path


def default_path(lesson: Lesson) -> Path:
    return Path(f"{lesson.slug}.ipynb")

