"""Every lesson page shows what its lesson prints, and every picture is where the docs say (scripts/make_docs.py).

The lesson runs come from the session fixture `lesson_result`: each lesson runs once per language per test session.
"""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import docs_pages as dp  # noqa: E402
import make_docs  # noqa: E402

from torchstart.device import auto_device  # noqa: E402
from torchstart.i18n import using  # noqa: E402
from torchstart.lessons import LESSONS, find_lesson  # noqa: E402
from torchstart.lessons.runner import format_result  # noqa: E402

RERUN = "run python scripts/make_docs.py"


def fixture_rules(tmp_path_factory, slug: str) -> list[tuple[str, str]]:
    """The lesson_result fixture's temp folders (<base>/<slug>N, <base>/cacheN) as the pages show them."""
    base = re.escape(str(tmp_path_factory.getbasetemp()))
    return [(rf"{base}/{re.escape(slug)}\d*(?![\w.-])", f"{dp.SHOWN_RUNS}/{slug}"),
            (rf"{base}/cache\d*(?![\w.-])", dp.SHOWN_CACHE), *dp.standard_rules()]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_the_page_shows_what_the_lesson_prints(lesson, lesson_result, tmp_path_factory):
    check = dp.check_for(lesson.name)
    if check.trained and auto_device().type != "cpu":
        pytest.skip(f"the pages show CPU runs; lesson {lesson.name} trains on {auto_device()} here, with other numbers")
    for lang in dp.LANGS:
        result = lesson_result(lesson.name, lang)
        path = dp.page_path(dp.ROOT, lang, f"lessons/{lesson.slug}.md")
        body = dp.block(path.read_text(encoding="utf-8"), dp.OUTPUT)
        assert body is not None, f"docs/{lang}/lessons/{lesson.slug}.md has no output markers: add them, then {RERUN}"
        shown = dp.fenced_text(body)
        assert shown is not None, f"docs/{lang}/lessons/{lesson.slug}.md: no ```text block in its output: {RERUN}"
        with using(lang):
            now = dp.normalize(format_result(lesson, result, as_json=False), fixture_rules(tmp_path_factory,
                                                                                          lesson.slug))
        problems = dp.compare(shown, now, check)
        assert not problems, (f"docs/{lang}/lessons/{lesson.slug}.md and `torchstart lesson {lesson.name}` disagree "
                              f"({check}; {RERUN}):\n" + "\n".join(problems))
        assert dp.note(check, lang, shown) in body, f"the page does not say how its output is checked: {RERUN}"


# ---- the comparison itself ---------------------------------------------------------------------------------------

EXACT, TRAINED = dp.Check(), dp.Check(trained=True)


@pytest.mark.parametrize(("page", "now", "check", "agree"), [
    ("stride=1: 10 12 12", "stride=1: 10 12 12", EXACT, True),
    ("stride=1: 10 12 12", "stride=1: 10 12 13", EXACT, False),  # exact arithmetic: one digit is a difference
    ("loss 1.1019", "loss 1.1020", EXACT, False),
    ("stride=1: 10 12 12", "stride 1: 10 12 12", EXACT, False),  # text always exactly
    ("test_accuracy 34.4%", "test_accuracy 36.9%", TRAINED, True),  # within 3 points
    ("test_accuracy 34.4%", "test_accuracy 38.0%", TRAINED, False),
    ("test_accuracy 34.4%", "test_accuracy 36.9%", EXACT, False),
    ("train_loss 2.2646", "train_loss 2.2647", TRAINED, True),  # AVX2 against AVX-512, measured
    ("train_loss 1.9046", "train_loss 2.0000", TRAINED, False),
    ("77/500 test images correct", "79/500 test images correct", TRAINED, True),  # moves with the accuracy
    ("epoch 4/10", "epoch 5/10", TRAINED, False),  # a small whole number cannot move by 3 %
    ("128 steps of 64", "129 steps of 64", EXACT, False),
    ("largest difference 3.7e-09", "largest difference 7.5e-09", EXACT, True),  # float rounding noise
    ("largest difference 3.7e-09", "largest difference 2.0e-03", EXACT, False),
    ("forward: 3,448 images/s (5 × 256 images in 0.371 s)", "forward: 7,676 images/s (5 × 256 images in 0.167 s)",
     EXACT, True),  # times are never compared
    ("forward: 3,448 images/s (5 × 256 images in 0.371 s)", "forward: 3,448 images/s (5 × 128 images in 0.371 s)",
     EXACT, False),
    ("model.0.weight x86_64 b449b3ec9986e452", "model.0.weight x86_64 b449b3ec9986e453", EXACT, False),
])
def test_numbers_are_compared_by_the_lessons_check(page, now, check, agree):
    assert (dp.compare(page, now, check) == []) is agree


def test_the_trained_tolerance_is_three_percent_and_three_points():
    assert dp.numbers_agree("1.9046", "1.9617", TRAINED)  # +3.0 %
    assert not dp.numbers_agree("1.9046", "1.9700", TRAINED)  # +3.4 %
    assert dp.numbers_agree("50.0%", "47.0%", TRAINED) and not dp.numbers_agree("50.0%", "46.9%", TRAINED)


def test_machine_lines_are_left_out_and_the_rest_still_counts():
    check = dp.check_for("env")
    page = "Lesson 1: env\ndevice: cpu (x86_64 CPU, 2 threads)\nmatmul: [[10.0, 13.0]] — ok"
    assert dp.compare(page, page.replace("cpu (x86_64 CPU, 2 threads)", "cuda (NVIDIA H200)"), check) == []
    assert dp.compare(page, page.replace("13.0", "14.0"), check) != []
    assert dp.compare(page, page + "\none line more", check)[0] == ("the page has 2 lines to compare, "
                                                                     "the lesson prints 3")


def test_paths_are_normalised_whole_not_inside_longer_names(tmp_path):
    rules = [(dp.path_pattern(tmp_path / "runs" / "docs"), "runs/docs"), *dp.standard_rules()]
    text = f"see {tmp_path}/runs/docs/09-conv/tb and {tmp_path}/runs/docsy\n{dp.ROOT}/src/x.py  \n"
    assert dp.normalize(text, rules) == (f"see runs/docs/09-conv/tb and {tmp_path}/runs/docsy\n"
                                         f"{dp.SHOWN_CHECKOUT}/src/x.py")


# ---- writing pages ---------------------------------------------------------------------------------------------

def test_a_page_without_markers_is_reported_and_the_others_are_written(tmp_path):
    conv = find_lesson("conv")
    page = f"lessons/{conv.slug}.md"
    (tmp_path / "docs" / "zh" / "lessons").mkdir(parents=True)
    (tmp_path / "docs" / "en" / "lessons").mkdir(parents=True)
    dp.page_path(tmp_path, "zh", page).write_text("# 第 9 课\n\n```\nold\n```\n", encoding="utf-8")
    dp.page_path(tmp_path, "en", page).write_text("# Lesson 9\n\n<!-- BEGIN output -->\nold\n<!-- END output -->\n",
                                                  encoding="utf-8")
    texts = {"conv": {"zh": "第 9 课：conv\n10 12", "en": "Lesson 9: conv\n10 12"}}
    problems = make_docs.write_pages({page: conv}, texts, tmp_path, check=False)
    assert len(problems) == 1 and problems[0].startswith("docs/zh/lessons/09-conv.md: no <!-- BEGIN output -->")
    written = dp.page_path(tmp_path, "en", page).read_text(encoding="utf-8")
    assert dp.fenced_text(dp.block(written, dp.OUTPUT)) == "Lesson 9: conv\n10 12"
    assert "![conv-feature-maps.png](../../images/conv-feature-maps.png)" in dp.block(written, dp.PICTURES)
    assert written.index("<!-- END output -->") < written.index("<!-- BEGIN pictures -->")

    dp.page_path(tmp_path, "zh", page).write_text("<!-- BEGIN output -->\n<!-- END output -->\n", encoding="utf-8")
    make_docs.write_pages({page: conv}, texts, tmp_path, check=False)
    assert make_docs.write_pages({page: conv}, texts, tmp_path, check=True) == []  # --check: nothing drifted
    drifted = {"conv": {**texts["conv"], "en": "Lesson 9: conv\n10 13"}}
    assert make_docs.write_pages({page: conv}, drifted, tmp_path, check=True) == [
        "docs/en/lessons/09-conv.md: line 2:\n    page: 10 12\n    now:  10 13"]


def test_with_pictures_block_needs_an_output_block_to_follow():
    with pytest.raises(ValueError, match="no <!-- BEGIN output -->"):
        dp.with_pictures_block("# a page without markers\n", "![x](x.png)")


# ---- pictures ----------------------------------------------------------------------------------------------------

def markdown_pages() -> list[Path]:
    return sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md", ROOT / "README.en.md"]


def test_every_image_a_page_shows_exists():
    missing = [f"{page.relative_to(ROOT)} → {link}" for page in markdown_pages()
               for link in dp.image_links(page.read_text(encoding="utf-8"))
               if "://" not in link and not (page.parent / link).is_file()]
    assert not missing, f"images that are not there ({RERUN}):\n" + "\n".join(missing)


def test_every_picture_is_shown_on_its_pages_in_both_languages_with_its_caption():
    for page, pictures in dp.pictures_by_page().items():
        for lang in dp.LANGS:
            text = dp.page_path(ROOT, lang, page).read_text(encoding="utf-8")
            expected = dp.pictures_block(pictures, ROOT, lang, page) + "\n"
            assert dp.block(text, dp.PICTURES) == expected, f"{lang} {page}: pictures block out of date: {RERUN}"


def test_docs_images_holds_exactly_the_pictures_the_script_makes_and_they_are_small():
    files = {path.name: path.stat().st_size for path in (ROOT / dp.IMAGES).iterdir()}
    assert set(files) == {picture.file for picture in dp.PICTURE_LIST}
    assert max(files.values()) <= dp.MAX_PICTURE_BYTES and sum(files.values()) <= dp.MAX_TOTAL_BYTES
