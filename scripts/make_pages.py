"""Rebuild the chapter pages: each lesson.py executed in a fresh Jupyter kernel, once per language.

    python scripts/make_pages.py            every chapter
    python scripts/make_pages.py 9 13       chapters 9 and 13

Writes src/torchstart/course/NN_name/zh.md, en.md and figures/. Run it on an idle machine after changing a
lesson.py: tests/course/test_pages.py fails while a page was made from an older script.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from torchstart.course import chapters, find_chapter
from torchstart.course.pages import write_pages
from torchstart.exercises.docs import write_chapter_pages


def main(argv: list[str]) -> int:
    selected = [find_chapter(key) for key in argv] or list(chapters())
    os.environ.pop("MPLBACKEND", None)  # the kernel draws inline, as in Jupyter
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TORCHSTART_CACHE"] = str(Path(tmp) / "cache")  # the samples as a new learner gets them
        for chapter in selected:
            start = time.perf_counter()
            shutil.rmtree(chapter.folder / "figures", ignore_errors=True)  # no picture of an older script stays
            for lang in ("zh", "en"):
                os.environ["TORCHSTART_LANG"] = lang
                write_pages(chapter, Path(tmp) / chapter.slug, langs=(lang,))
            if chapter.exercise is not None:  # the exercise's section at the end of each page
                write_chapter_pages(chapter)
            print(f"{chapter.slug}: {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
