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
A notebook is read wherever it was written, so nothing in it points back into the checkout: a link to
the package's source becomes its module name (`torchstart.lessons.conv`), a link to another lesson page
the command that exports that lesson, a link to another docs page its path as text, and a picture is
embedded in its cell (a notebook attachment). Its metadata names the page by its path in the repository.
The notebook is plain nbformat-4 JSON written here, so exporting needs no Jupyter package.
"""

from __future__ import annotations

import ast
import base64
import json
import re
from pathlib import Path

from .._version import __version__
from ..errors import ConfigError
from ..files import atomic_write, kind_of, new_output, writable_dir
from ..i18n import N_, in_language, language
from ..lessons import LESSONS, Lesson

REPO = Path(__file__).resolve().parents[3]  # src/torchstart/tools/notebook.py → <checkout>
REPO_DOCS = REPO / "docs"
CLI_ONLY = {"main", "lesson_main"}  # the command-line entry and its helper: not needed in a notebook
HEADER = N_("Exported by `torchstart notebook {name}` (torchstart {version}). Run the cells top to bottom; only "
            "torchstart needs to be installed.")
RUN_COMMENT = N_("# run the lesson as `torchstart lesson {name}` does; what it writes goes to {out}")
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")  # [label](target) and ![alt](picture)
KEPT_LINKS = ("http://", "https://", "mailto:", "#", "attachment:")
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml"}


def docs_page(lesson: Lesson, lang: str, docs_root: Path = REPO_DOCS) -> Path | None:
    page = docs_root / lang / "lessons" / f"{lesson.slug}.md"
    return page if page.is_file() else None


def markdown_sections(text: str) -> list[str]:
    """A markdown page cut before every `## ` heading (lines inside ``` fences are never headings).

    Lines that are only an HTML comment (the docs script's `<!-- BEGIN output -->` markers) are left out.
    """
    sections, current, fenced = [], [], False
    for line in text.strip().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and re.fullmatch(r"\s*<!--.*-->\s*", line):
            continue
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


def run_cell(lesson: Lesson, lang: str = "en") -> str:
    """The last cell: run the lesson like `torchstart lesson NAME` does, writing under runs/lessons/<NN-name>."""
    out = f"runs/lessons/{lesson.slug}"
    comment = in_language(RUN_COMMENT, lang).format(name=lesson.name, out=out)
    return f"from pathlib import Path\n\n{comment}\nresult = run(out=Path(\"{out}\"))\nprint(describe(result))"


def _module_name(path: Path, src: Path) -> str:
    """src/torchstart/lessons/conv.py → torchstart.lessons.conv (a package's __init__.py → the package)."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _text_for(target: Path, lang: str, repo: Path) -> str:
    """What a link to `target` (a file in the checkout) becomes in a notebook: text that means the same anywhere."""
    if target.suffix == ".py" and target.is_relative_to(repo / "src"):
        module = _module_name(target, repo / "src")
        lesson = next((x for x in LESSONS if x.module_name == module), None)
        return f"`{module}`" + (f" (`python -m {module}`)" if lesson else "")
    lesson = next((x for x in LESSONS if target.name == f"{x.slug}.md"), None)
    if lesson is not None and target.parent.name == "lessons":
        page_lang = target.parent.parent.name
        return f"`torchstart notebook {lesson.number}" + (f" --lang {page_lang}`" if page_lang != lang else "`")
    return f"`{target.relative_to(repo).as_posix()}`" if target.is_relative_to(repo) else f"`{target.name}`"


def portable_markdown(text: str, page: Path, lang: str, repo: Path = REPO) -> tuple[str, dict]:
    """`text` (from docs page `page`) with every relative link rewritten (see the module docstring), and the
    attachments of the pictures it embeds: (markdown, {file name: {mime type: base64}})."""
    attachments: dict = {}

    def rewrite(match: re.Match) -> str:
        bang, label, target = match.groups()
        if target.startswith(KEPT_LINKS):
            return match.group(0)
        path = (page.parent / target.split("#")[0]).resolve()
        if bang:
            if path.suffix.lower() in MIME and path.is_file():
                attachments[path.name] = {MIME[path.suffix.lower()]: base64.b64encode(path.read_bytes()).decode()}
                return f"![{label}](attachment:{path.name})"
            return label
        text = _text_for(path, lang, repo)
        bare = label.strip("`")
        if not bare or "/" in bare or bare.endswith((".md", ".py")) or bare == text.strip("`"):
            return text
        return f"{label}（{text}）" if lang == "zh" else f"{label} ({text})"

    return LINK.sub(rewrite, text), attachments


def _cell(kind: str, index: int, source: str, attachments: dict | None = None) -> dict:
    cell = {"cell_type": kind, "id": f"{kind}-{index}", "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    if attachments:
        cell["attachments"] = attachments
    return cell


def lesson_notebook(lesson: Lesson, lang: str | None = None, docs_root: Path = REPO_DOCS) -> dict:
    """The notebook (nbformat 4.5 as a dict) of `lesson` in `lang` (default: the learner's language), with its
    docs page in that language when one is found."""
    lang = lang or language()
    module = lesson.load()
    page = docs_page(lesson, lang, docs_root)
    if page is not None:
        markdown = [portable_markdown(s, page, lang, docs_root.parent)
                    for s in markdown_sections(page.read_text(encoding="utf-8"))]
    else:
        markdown = [(f"# {lesson.number}. {lesson.name}", {}), ((module.__doc__ or "").strip(), {})]
    markdown.insert(1, (in_language(HEADER, lang).format(name=lesson.name, version=__version__), {}))
    source = Path(module.__file__).read_text(encoding="utf-8")
    code = [*code_cells(source), run_cell(lesson, lang)]
    cells = [_cell("markdown", i, text, attachments) for i, (text, attachments) in enumerate(markdown)]
    cells += [_cell("code", i, text) for i, text in enumerate(code)]
    docs = page.relative_to(docs_root.parent).as_posix() if page else None  # never an absolute path
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "language_info": {"name": "python"},
                         "torchstart": {"lesson": lesson.name, "slug": lesson.slug, "language": lang,
                                        "docs": docs}}}


def write_notebook(notebook: dict, path: Path, *, force: bool = False) -> Path:
    """Write `notebook` at `path` (a folder: its default file name inside it) without losing a learner's file.

    An existing notebook — perhaps with the learner's own notes — is refused unless `force`, which keeps
    it aside as <name>.old-<time>.
    """
    path = Path(path)
    if kind_of(path, "-o", ConfigError) == "dir":
        path = path / f"{notebook['metadata']['torchstart']['slug']}.ipynb"
    writable_dir(path.parent)
    new_output(path, force=force, what=N_("notebook"))
    atomic_write(path, lambda f: f.write((json.dumps(notebook, ensure_ascii=False, indent=1) + "\n").encode("utf-8")))
    return path


def default_path(lesson: Lesson) -> Path:
    return Path(f"{lesson.slug}.ipynb")

