"""Every picture is where the docs say, and scripts/make_docs.py writes the README and pictures blocks it owns.

The chapter pages are checked in tests/course (they are the lesson scripts executed, by scripts/make_pages.py).
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import docs_pages as dp  # noqa: E402
import make_docs  # noqa: E402

RERUN = "run python scripts/make_docs.py"


# ---- writing pages ---------------------------------------------------------------------------------------------

def pages_in(root: Path, readme_body: str = "") -> None:
    """A docs tree under `root` whose README and share pages have empty generated blocks."""
    for lang in dp.LANGS:
        (root / "docs" / lang).mkdir(parents=True)
        dp.page_path(root, lang, "README").write_text(
            f"# torchstart\n\n<!-- BEGIN train-output -->\n{readme_body}<!-- END train-output -->\n\n"
            "<!-- BEGIN pictures -->\n<!-- END pictures -->\n", encoding="utf-8")
        dp.page_path(root, lang, "share.md").write_text("# share\n\n<!-- BEGIN pictures -->\n<!-- END pictures -->\n",
                                                        encoding="utf-8")


def test_the_readmes_get_the_main_jobs_output_and_every_page_its_pictures(tmp_path):
    pages_in(tmp_path)
    assert make_docs.write_pages({}, tmp_path, check=True) == [  # --check: stale pictures blocks, nothing written
        f"{dp.page_path(tmp_path, lang, page).relative_to(tmp_path)}: the pictures block is out of date"
        for page in dp.pictures_by_page() for lang in dp.LANGS]
    assert make_docs.write_pages({"zh": "第 1/10 轮\n", "en": "epoch 1/10\n"}, tmp_path, check=False) == []
    readme = dp.page_path(tmp_path, "en", "README").read_text(encoding="utf-8")
    assert dp.block(readme, dp.TRAIN_OUTPUT) == "```text\nepoch 1/10\n```\n"
    assert "![train-curves.png](docs/images/train-curves.png)" in dp.block(readme, dp.PICTURES)
    share = dp.page_path(tmp_path, "zh", "share.md").read_text(encoding="utf-8")
    assert "![predict-explain.png](../images/predict-explain.png)" in dp.block(share, dp.PICTURES)
    assert make_docs.write_pages({}, tmp_path, check=True) == []  # --check: nothing drifted


def test_a_page_without_markers_is_reported_and_the_others_are_written(tmp_path):
    pages_in(tmp_path)
    dp.page_path(tmp_path, "zh", "share.md").write_text("# 分享\n", encoding="utf-8")
    problems = make_docs.write_pages({}, tmp_path, check=False)
    assert problems == ["docs/zh/share.md: no <!-- BEGIN pictures --> … <!-- END pictures --> block — add the two "
                        "marker lines"]
    assert "demo.png" in dp.page_path(tmp_path, "en", "share.md").read_text(encoding="utf-8")


def test_with_pictures_block_needs_a_pictures_block():
    with pytest.raises(ValueError, match="no <!-- BEGIN pictures -->"):
        dp.with_pictures_block("# a page without markers\n", "![x](x.png)")


# ---- pictures ----------------------------------------------------------------------------------------------------

def markdown_pages() -> list[Path]:
    """The READMEs and the docs pages (the chapter pages hold their own figures/, checked in tests/course)."""
    return sorted((ROOT / "docs").glob("*/*.md")) + [ROOT / "README.md", ROOT / "README.en.md"]


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
