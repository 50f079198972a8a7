"""The generated parts of the docs equal what the code generates now (rerun scripts/make_docs_index.py)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import make_docs_index  # noqa: E402

from torchstart.config import TRAIN_FLAGS  # noqa: E402


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
