"""The generated parts of the docs equal what the code generates now (rerun scripts/make_docs_index.py), and every
link in the READMEs and the docs pages leads to a file that is there."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import make_docs_index  # noqa: E402

from torchstart.config import TRAIN_FLAGS  # noqa: E402
from torchstart.course import chapters  # noqa: E402

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)
FENCE = re.compile(r"^```.*?^```", re.S | re.M)  # code blocks: their brackets are code, not links


@pytest.mark.parametrize("lang", make_docs_index.LANGS)
def test_generated_docs_are_up_to_date(lang):
    for path, text in make_docs_index.generated(lang).items():
        assert path.read_text(encoding="utf-8") == text, \
            f"{path.relative_to(ROOT)} is out of date: run python scripts/make_docs_index.py"


@pytest.mark.parametrize("lang", make_docs_index.LANGS)
def test_the_flag_table_has_one_row_per_train_flag(lang):
    table = make_docs_index.flag_table(lang).splitlines()[2:]
    assert [row.split("`")[1].split()[0] for row in table] == [f.name for f in TRAIN_FLAGS]
    assert "| `--lr LR` | `optim.lr` |" in make_docs_index.flag_table(lang)


def test_a_missing_marker_is_an_error_not_a_silent_skip():
    with pytest.raises(ValueError, match="no <!-- BEGIN layers -->"):
        make_docs_index.replace_block("no markers here", "layers", "body")


@pytest.mark.parametrize("readme", ["README.md", "README.en.md"])
def test_readmes_are_short_front_pages_with_the_two_commands(readme):
    text = (ROOT / readme).read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert 'pip install -e ".[dev]" && torchstart train' in text and 'pip install -e ".[dev]" && pytest' in text


@pytest.mark.parametrize(("readme", "lang"), [("README.md", "zh"), ("README.en.md", "en")])
def test_each_readme_links_every_chapter_page_in_its_language(readme, lang):
    text = (ROOT / readme).read_text(encoding="utf-8")
    for chapter in chapters():
        assert f"(src/torchstart/course/{chapter.folder.name}/{lang}.md)" in text


def relative_links(page: Path) -> list[str]:
    """The links in `page` to files of the checkout (web addresses and anchors on the same page left out)."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return [link for link in LINK.findall(text) if "://" not in link and not link.startswith(("#", "mailto:"))]


@pytest.mark.parametrize("page", [*sorted((ROOT / "docs").glob("*/*.md")), ROOT / "README.md", ROOT / "README.en.md"],
                         ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_link_leads_to_a_file_that_is_there(page):
    missing = [link for link in relative_links(page) if not (page.parent / link.split("#")[0]).exists()]
    assert not missing, (f"{page.relative_to(ROOT)} links files that are not there (a chapter page is made by "
                         f"python scripts/make_pages.py N):\n" + "\n".join(missing))
