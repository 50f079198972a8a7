"""Run every lesson (once per language); write what it prints, and pictures from the same runs, into its pages.

    python scripts/make_docs.py                  # every lesson and picture, into docs/ and the READMEs
    python scripts/make_docs.py --check          # write nothing; exit 1 when a page disagrees with a fresh run
    python scripts/make_docs.py --out /tmp/d     # write into a copy of docs/*.md and the READMEs under /tmp/d
    python scripts/make_docs.py --lesson 9 --lesson maxpool --no-pictures

Each lesson runs once in each language (`torchstart.i18n.using`), as a learner with that locale runs it, in a
temporary folder with `--out runs/docs/<NN-name>` and an empty cache, so printed paths are the same on every
machine. The text goes between `<!-- BEGIN output -->` and `<!-- END output -->` of
docs/<lang>/lessons/<NN-name>.md, the pictures into its `<!-- BEGIN pictures -->` block (see scripts/docs_pages.py).
A page without output markers is reported and makes the script exit 1; the other pages are still written.
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

from torchstart.i18n import using
from torchstart.lessons import LESSONS, Lesson, find_lesson
from torchstart.lessons.runner import format_result, run_lesson


@contextmanager
def docs_workspace():
    """A temporary working folder with an empty torchstart cache and TORCHSTART_LANG=en (each lesson run picks its
    language with `using`); removed afterwards."""
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


def path_rules(work: Path) -> list[tuple[str, str]]:
    return [(dp.path_pattern(work / dp.SHOWN_RUNS), dp.SHOWN_RUNS), *dp.standard_rules()]


def run_lessons(lessons: list[Lesson], work: Path) -> dict[str, dict[str, str]]:
    """{lesson name: {lang: the text it prints, paths normalised}}: each lesson run once in each language, as a
    learner with that locale runs it (text made during the run, such as the data-source line, is in that language).
    """
    texts = {}
    for lesson in lessons:
        started, texts[lesson.name] = time.monotonic(), {}
        for lang in dp.LANGS:
            cache = work / "cache" / lang / lesson.slug  # each run starts with an empty cache, as in the tests
            os.environ["TORCHSTART_CACHE"] = str(cache)
            rules = [(dp.path_pattern(cache), dp.SHOWN_CACHE), *path_rules(work)]
            shutil.rmtree(work / dp.SHOWN_RUNS / lesson.slug, ignore_errors=True)  # as if for the first time
            with using(lang):
                result = run_lesson(lesson, out=Path(dp.SHOWN_RUNS) / lesson.slug,
                                    report=lambda line: print(f"      {line}", file=sys.stderr, flush=True))
                texts[lesson.name][lang] = dp.normalize(format_result(lesson, result, as_json=False), rules)
        print(f"lesson {lesson.slug}: {time.monotonic() - started:.1f} s", flush=True)
    return texts


def make_pictures(wanted: set[str], work: Path, images: Path) -> list[Path]:
    """The pictures named in `wanted` (file names under docs/images), from the lesson runs under `work`."""
    import docs_pictures as pics

    images.mkdir(parents=True, exist_ok=True)
    runs, made = work / dp.SHOWN_RUNS, []
    if {"tensorboard-scalars.png", "tensorboard-images.png", "tensorboard-graph.png"} & wanted:
        made += pics.board_screenshots(Path(dp.SHOWN_RUNS) / "04-tensorboard", work, images)
    if "opencv-contact-sheet.png" in wanted:
        made.append(pics.copy_small(runs / "05-opencv" / "contact_sheet.png", images / "opencv-contact-sheet.png"))
    for name, slug, columns, cell in (("transforms.png", "06-transforms", 3, (3.3, 2.6)),
                                      ("maxpool.png", "10-maxpool", 3, (3.4, 3.6)),
                                      ("activations.png", "11-activations", 1, (9.0, 1.5))):
        if name in wanted:
            made.append(pics.lesson_event_figure(runs / slug, images / name, columns, cell))
    return made


MAIN_JOB_PICTURES = ("conv-feature-maps.png", "train-curves.png", "train-confusion.png", "predict-explain.png",
                     "demo.png")  # made from the main job's run, all together


def main_job(work: Path, images: Path) -> tuple[list[Path], dict[str, str]]:
    """The README's main job, run as a learner types it in each language: its pictures and what it printed."""
    import docs_pictures as pics

    printed, run = {}, None
    for lang in dp.LANGS:
        started = time.monotonic()
        run, printed[lang] = pics.train_run(work, dp.TRAIN_COMMAND, dict(os.environ), lang)
        print(f"{dp.TRAIN_COMMAND} ({lang}): {time.monotonic() - started:.1f} s", flush=True)
        printed[lang] = printed[lang].replace(f"runs/{run.name}", "runs/<run>")  # the date-time of this run
    best = run / "checkpoints" / "best.pt"
    made = [pics.feature_maps_figure(best, images / "conv-feature-maps.png"),
            pics.copy_small(run / "curves.png", images / "train-curves.png"),
            pics.copy_small(run / "confusion_matrix.png", images / "train-confusion.png", max_width=640),
            pics.explain_figure(best, images / "predict-explain.png"),
            pics.demo_screenshot(best, dp.DEMO_PHOTO, images / "demo.png")]
    return made, printed


def updated_page(text: str, page: str, lang: str, root: Path, output: str | None, lesson: Lesson | None) -> str:
    """`text` with its generated blocks rewritten (ValueError when the page has no output markers)."""
    if output is not None and lesson is not None:
        text = replace_block(text, dp.OUTPUT, dp.output_block(output, dp.check_for(lesson.name), lang))
    elif output is not None:  # the README: what the main job printed
        text = replace_block(text, dp.TRAIN_OUTPUT, f"```text\n{output.rstrip()}\n```")
    pictures = dp.pictures_by_page().get(page)
    return dp.with_pictures_block(text, dp.pictures_block(pictures, root, lang, page)) if pictures else text


def drift(old: str, new: str, lesson: Lesson | None) -> list[str]:
    """How a page on disk differs from what it should be: its output by the lesson's check, pictures exactly."""
    problems = []
    if lesson is not None:
        shown, fresh = dp.fenced_text(dp.block(old, dp.OUTPUT) or ""), dp.fenced_text(dp.block(new, dp.OUTPUT) or "")
        if shown is None:
            problems.append("no ```text block inside the output markers")
        else:
            problems += dp.compare(shown, fresh, dp.check_for(lesson.name))
    if dp.block(old, dp.PICTURES) != dp.block(new, dp.PICTURES):
        problems.append("the pictures block is out of date")
    return problems


def write_pages(pages: dict[str, Lesson | None], texts, root: Path, check: bool) -> list[str]:
    """Rewrite (or, with `check`, compare) every page; returns the problems to report."""
    problems = []
    for page, lesson in pages.items():
        for lang in dp.LANGS:
            path = dp.page_path(root, lang, page)
            shown = path.relative_to(root)
            old = path.read_text(encoding="utf-8")
            output = texts[lesson.name][lang] if lesson is not None else texts.get(page, {}).get(lang)
            try:
                new = updated_page(old, page, lang, root, output, lesson)
            except ValueError as err:
                problems.append(f"{shown}: {err} — add the two marker lines around its output block")
                continue
            if check:
                problems += [f"{shown}: {p}" for p in drift(old, new, lesson)]
            elif new != old:
                path.write_text(new, encoding="utf-8")
                print(f"wrote {shown}")
    return problems


def missing_images(root: Path) -> list[str]:
    return [f"{dp.IMAGES / p.file} is missing: run {Path(__file__).name} without --no-pictures"
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
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page disagrees")
    parser.add_argument("--out", type=Path, help="write into a copy of docs/ and the READMEs under this folder")
    parser.add_argument("--lesson", action="append", default=[], help="only this lesson (number or name); repeat")
    parser.add_argument("--no-pictures", action="store_true", help="leave docs/images as it is")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    lessons = [find_lesson(name) for name in args.lesson] or list(LESSONS)
    root = copy_tree(args.out.resolve()) if args.out else dp.ROOT
    pages: dict[str, Lesson | None] = {f"lessons/{lesson.slug}.md": lesson for lesson in lessons}
    pages["README"] = None  # the main job's output and pictures
    pages["share.md"] = None  # the demo's picture
    started = time.monotonic()
    with docs_workspace() as work:
        texts = run_lessons(lessons, work)
        if not (args.check or args.no_pictures):
            wanted = {p.file for p in dp.PICTURE_LIST if set(p.pages) & set(pages)}
            made = make_pictures(wanted, work, root / dp.IMAGES)
            if set(MAIN_JOB_PICTURES) & wanted:
                job_pictures, texts["README"] = main_job(work, root / dp.IMAGES)
                made += job_pictures  # they come together, even when only one of them was asked for
            for path in made:
                print(f"wrote {path.relative_to(root)} ({path.stat().st_size / 1000:.0f} kB)")
    problems = write_pages(pages, texts, root, args.check) + missing_images(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(lessons)} lessons in {time.monotonic() - started:.0f} s; "
          f"{'pages agree' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
