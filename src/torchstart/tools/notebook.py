"""`torchstart notebook LESSON`: the lesson as a Jupyter notebook, in the learner's language.

The notebook is the lesson itself: the cells of the chapter's lesson.py (course/NN_name/), its prose and code
comments in the chosen language, read with jupytext. Run it top to bottom in Jupyter and it prints what
`torchstart lesson N` prints and draws what the lesson's page shows. `--exercise` writes the chapter's exercise
instead (exercises/notebook.py). Either way the file is nbformat-4 JSON, and a learner's earlier notebook is kept.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..course import Chapter
from ..errors import ConfigError
from ..files import atomic_write, kind_of, new_output, writable_dir
from ..i18n import N_


def lesson_notebook(chapter: Chapter, lang: str) -> dict:
    """The chapter's lesson as a notebook (a plain dict of nbformat 4) in `lang`."""
    from ..course.literate import notebook

    book = notebook(chapter, lang)
    book.metadata["torchstart"]["slug"] = chapter.slug
    return json.loads(json.dumps(book))  # nbformat's NotebookNode → plain dicts and lists


def write_notebook(notebook: dict, path: Path, *, force: bool = False) -> Path:
    """Write `notebook` at `path` (a folder: its default file name inside it) without losing a learner's file.

    An existing notebook — perhaps with the learner's own notes — is refused unless `force`, which keeps
    it aside as <name>.old-<time>.
    """
    path = Path(path)
    if kind_of(path, "-o", ConfigError) == "dir":
        path = path / f"{notebook['metadata']['torchstart']['slug']}.ipynb"
    writable_dir(path.parent, "-o")
    new_output(path, force=force, what=N_("notebook"))
    atomic_write(path, lambda f: f.write((json.dumps(notebook, ensure_ascii=False, indent=1) + "\n").encode("utf-8")))
    return path


def default_path(chapter: Chapter) -> Path:
    return Path(f"{chapter.slug}.ipynb")
