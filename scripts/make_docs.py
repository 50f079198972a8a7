"""Run the README's main job (`torchstart train`, once per language); write what it printed into the READMEs and its
pictures into docs/images and the pages that show them.

    python scripts/make_docs.py                  # run it, write the pictures, the READMEs and the pictures blocks
    python scripts/make_docs.py --check          # run nothing, write nothing; exit 1 when a pictures block is stale
    python scripts/make_docs.py --out /tmp/d     # write into a copy of docs/*.md and the READMEs under /tmp/d

The job runs as a learner types it, in a temporary folder with an empty cache, so what it prints is the same on
every machine but for the numbers. Its text goes between `<!-- BEGIN train-output -->` and
`<!-- END train-output -->` of each README, the pictures into the `<!-- BEGIN pictures -->` block of each page in
docs_pages.PICTURE_LIST. The chapter pages are not made here: scripts/make_pages.py executes each lesson script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import docs_pages as dp
from make_docs_index import replace_block


@contextmanager
def docs_workspace():
    """A temporary working folder with an empty torchstart cache and TORCHSTART_LANG=en (each run picks its
    language); removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix="torchstart-docs-")).resolve()
    saved = {k: os.environ.get(k) for k in ("TORCHSTART_CACHE", "TORCHSTART_DATA", "TORCHSTART_LANG")}
    before = Path.cwd()
    os.environ.update(TORCHSTART_CACHE=str(work / "cache"), TORCHSTART_LANG="en")
    os.environ.pop("TORCHSTART_DATA", None)
    os.chdir(work)
    try:
        yield work
    finally:
        os.chdir(before)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(work, ignore_errors=True)


def main_job(work: Path, images: Path) -> tuple[list[Path], dict[str, str]]:
    """The README's main job, run as a learner types it in each language: its pictures and what it printed."""
    import docs_pictures as pics

    images.mkdir(parents=True, exist_ok=True)
    printed, run = {}, None
    for lang in dp.LANGS:
        started = time.monotonic()
        run, printed[lang] = pics.train_run(work, dp.TRAIN_COMMAND, dict(os.environ), lang)
        print(f"{dp.TRAIN_COMMAND} ({lang}): {time.monotonic() - started:.1f} s", flush=True)
        printed[lang] = printed[lang].replace(f"runs/{run.name}", "runs/<run>")  # the date-time of this run
    best = run / "checkpoints" / "best.pt"
    made = [pics.copy_small(run / "curves.png", images / "train-curves.png"),
            pics.explain_figure(best, images / "predict-explain.png"),
            pics.demo_screenshot(best, dp.DEMO_PHOTO, images / "demo.png"),
            pics.site_screenshot(images / "course-site.png")]
    return made, printed


def updated_page(text: str, page: str, lang: str, root: Path, output: str | None) -> str:
    """`text` with its generated blocks rewritten: the README's train output (when given) and the pictures block
    (ValueError when a marker is missing)."""
    if output is not None:
        text = replace_block(text, dp.TRAIN_OUTPUT, f"```text\n{output.rstrip()}\n```")
    pictures = dp.pictures_by_page().get(page)
    return dp.with_pictures_block(text, dp.pictures_block(pictures, root, lang, page)) if pictures else text


def write_pages(outputs: dict[str, str], root: Path, check: bool) -> list[str]:
    """Rewrite (or, with `check`, compare) every page that shows a picture; `outputs` is what the main job printed,
    by language (empty: keep the READMEs' output blocks). Returns the problems to report."""
    problems = []
    for page in dp.pictures_by_page():
        for lang in dp.LANGS:
            path = dp.page_path(root, lang, page)
            shown = path.relative_to(root)
            old = path.read_text(encoding="utf-8")
            try:
                new = updated_page(old, page, lang, root, outputs.get(lang) if page == "README" else None)
            except ValueError as err:
                problems.append(f"{shown}: {err} — add the two marker lines")
                continue
            if check:
                if dp.block(old, dp.PICTURES) != dp.block(new, dp.PICTURES):
                    problems.append(f"{shown}: the pictures block is out of date")
            elif new != old:
                path.write_text(new, encoding="utf-8")
                print(f"wrote {shown}")
    return problems


def missing_images(root: Path) -> list[str]:
    return [f"{dp.IMAGES / p.file} is missing: run {Path(__file__).name}"
            for p in dp.PICTURE_LIST if not (root / dp.IMAGES / p.file).is_file()]


def copy_tree(out: Path) -> Path:
    """`out` holding docs/ and the READMEs to write into instead of the checkout's; files it has already are kept,
    so a second run with the same --out works on the copy (delete the folder for a fresh one)."""
    for source in [*sorted((dp.ROOT / "docs").rglob("*.md")), dp.ROOT / "README.md", dp.ROOT / "README.en.md"]:
        target = out / source.relative_to(dp.ROOT)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="run nothing, write nothing; exit 1 when a page is stale")
    parser.add_argument("--out", type=Path, help="write into a copy of docs/ and the READMEs under this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = copy_tree(args.out.resolve()) if args.out else dp.ROOT
    started, outputs = time.monotonic(), {}
    if not args.check:
        with docs_workspace() as work:
            made, outputs = main_job(work, root / dp.IMAGES)
        for path in made:
            print(f"wrote {path.relative_to(root)} ({path.stat().st_size / 1000:.0f} kB)")
    problems = write_pages(outputs, root, args.check) + missing_images(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    verdict = f"{len(problems)} problems" if problems else "pages agree"
    print(f"done in {time.monotonic() - started:.0f} s; {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
