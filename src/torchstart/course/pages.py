"""A chapter's page: its lesson.py executed as a notebook in a fresh Jupyter kernel (nbclient), as Markdown.

    python scripts/make_pages.py [9 …]      rebuilds course/NN_name/{zh,en}.md and figures/

Why nbclient: the page is what a learner gets from `torchstart notebook N` and *Run All* — the same kernel,
the same inline figures — and nbclient is the executor Jupyter's own tools (nbconvert, mkdocs-jupyter,
jupyter-book) are built on. Each page starts with the SHA-256 of the lesson.py it was made from; a test
compares it with the script, so a script changed without its pages being rebuilt fails the suite.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from . import Chapter
from .literate import notebook

STAMP = re.compile(r"<!-- made from lesson\.py sha256:(?P<sha>[0-9a-f]{64})")
LINKS = {
    "zh": "课程章节：{chapter} · [视频]({video}) · 运行：`torchstart lesson {n}` · "
          "只看代码：`torchstart lesson {n} --code` · 笔记本：`torchstart notebook {n}`",
    "en": "Course chapter {chapter} · [video]({video}) · run it: `torchstart lesson {n}` · the code alone: "
          "`torchstart lesson {n} --code` · notebook: `torchstart notebook {n}`",
}
EXERCISE = {"zh": " · 练习：`torchstart exercise {n}`", "en": " · exercise: `torchstart exercise {n}`"}
OTHER = {"zh": "[English](en.md)", "en": "[中文](zh.md)"}


def script_sha(chapter: Chapter) -> str:
    return hashlib.sha256(chapter.script.read_bytes()).hexdigest()


def page_sha(path: Path) -> str | None:
    """The SHA-256 of the lesson.py a page was made from (None: no page, or no stamp)."""
    if not path.is_file():
        return None
    found = STAMP.search(path.read_text(encoding="utf-8"))
    return found["sha"] if found else None


def execute(chapter: Chapter, lang: str, workdir: Path, timeout: int = 600):
    """The lesson as a notebook in `lang`, executed in a fresh python3 kernel running in `workdir`."""
    from nbclient import NotebookClient

    book = notebook(chapter, lang)
    workdir.mkdir(parents=True, exist_ok=True)
    NotebookClient(book, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return book


def _outputs(cell, figures: Path, stem: str) -> list[str]:
    blocks, text = [], []  # figures are numbered among the cell's pictures: Jupyter may split its text outputs
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            text.append(output["text"])
            continue
        data = output.get("data", {})
        if "image/png" in data:
            name = f"{stem}-{len(blocks) + 1}.png"
            figures.mkdir(exist_ok=True)
            (figures / name).write_bytes(base64.b64decode(data["image/png"]))
            blocks.append(f"![{name}](figures/{name})")
        elif "text/plain" in data and output["output_type"] == "execute_result":
            text.append(data["text/plain"] + "\n")
    shown = "".join(text).rstrip("\n")
    return ([f"```text\n{shown}\n```"] if shown else []) + blocks


def markdown(chapter: Chapter, lang: str, book) -> str:
    """The executed notebook as the chapter's page in `lang`; figures are written to the chapter's figures/."""
    figures = chapter.folder / "figures"
    head = LINKS[lang].format(chapter=chapter.chapter, video=chapter.video, n=chapter.number)
    if chapter.exercise is not None:
        head += EXERCISE[lang].format(n=chapter.number)
    parts = [f"<!-- made from lesson.py sha256:{script_sha(chapter)} by scripts/make_pages.py: edit lesson.py, "
             f"not this page -->", OTHER[lang], f"> {head}"]
    for index, cell in enumerate(book.cells, start=1):
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        parts.append(f"```python\n{cell.source}\n```")
        parts += _outputs(cell, figures, f"cell{index:02d}")
    return "\n\n".join(parts) + "\n"


def write_pages(chapter: Chapter, workdir: Path, langs: tuple[str, ...] = ("zh", "en")) -> list[Path]:
    written = []
    for lang in langs:
        book = execute(chapter, lang, workdir / lang)
        path = chapter.page(lang)
        path.write_text(markdown(chapter, lang, book), encoding="utf-8")
        written.append(path)
    return written
