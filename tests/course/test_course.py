"""The course as folders: the registry scans them, a lesson is seen in either language from one script, runs cell
by cell in `torchstart lesson`, prints its code alone (which runs as a plain file), and its pages are up to date."""

import ast
import json
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from torchstart import course
from torchstart.cli import main
from torchstart.course import chapters, find_chapter, read_chapter
from torchstart.course.execute import LessonFailed, run_cells
from torchstart.course.literate import cells, code, localize_code
from torchstart.course.pages import page_sha, script_sha
from torchstart.errors import ConfigError
from torchstart.tools.lesson_view import to_jsonable

CHAPTERS = chapters()
NUMBERS = [c.number for c in CHAPTERS]


def test_the_registry_is_the_folders_in_course_order():
    assert NUMBERS == list(range(1, 22))
    for chapter in CHAPTERS:
        assert chapter.folder.name == f"{chapter.number:02d}_{chapter.name}" and chapter.script.is_file()
        assert chapter.goal.zh and chapter.goal.en and chapter.goal.zh != chapter.goal.en
        assert chapter.results, f"{chapter.name}: chapter.toml names no results"
    assert [c.name for c in CHAPTERS if c.exercise is None] == []  # one exercise per chapter


def test_every_chapter_has_search_terms_in_both_languages():
    for chapter in CHAPTERS:  # the line under its title on the course site: what the site's search finds it by
        zh, en = chapter.search.zh, chapter.search.en
        assert 3 <= len(zh) <= 6 and 3 <= len(en) <= 6, chapter.name
        assert any(re.search(r"[\u4e00-\u9fff]", term) for term in zh), chapter.name
        assert all(term.isascii() for term in en), chapter.name


def test_adding_a_chapter_is_adding_a_folder(tmp_path):
    shutil.copytree(find_chapter(9).folder, tmp_path / "22_more_conv")
    (tmp_path / "notes").mkdir()  # not NN_name: not a chapter
    (found,) = course.chapters.__wrapped__(tmp_path)
    assert (found.number, found.name, found.keywords) == (22, "more_conv", ("卷积", "卷积层"))


@pytest.mark.parametrize("key", ["9", 9, "09", "conv", "卷积", " CONV "])
def test_find_a_chapter_by_number_name_or_chinese_keyword(key):
    assert find_chapter(key).number == 9


def test_an_unknown_lesson_names_the_choices():
    with pytest.raises(ConfigError) as err:
        find_chapter("nope")
    assert "21 speedrun" in err.value.fix and "9 conv" in err.value.fix


def test_marked_comments_keep_the_views_language():
    source = "x = 1  # zh: 形状 (2, 3) | en: shape (2, 3)\n    # zh: 为什么\n    # en: why\ny = 2  # (B, C)"
    assert localize_code(source, "en") == "x = 1  # shape (2, 3)\n    # why\ny = 2  # (B, C)"
    assert localize_code(source, "zh") == "x = 1  # 形状 (2, 3)\n    # 为什么\ny = 2  # (B, C)"


@pytest.mark.parametrize("number", NUMBERS)
def test_both_views_run_the_same_code_each_in_its_own_language(number):
    chapter = find_chapter(number)
    views = {lang: code(chapter, lang) for lang in ("zh", "en")}
    trees = {lang: ast.dump(ast.parse(text)) for lang, text in views.items()}  # comments are not in the tree
    assert trees["zh"] == trees["en"]
    for lang, other in (("zh", "en"), ("en", "zh")):
        assert f"# {other}: " not in views[lang] and f"| {other}: " not in views[lang]
        prose = [c.source for c in cells(chapter, lang) if c.kind == "markdown"]
        assert prose, f"lesson {number} has no {lang} prose"
    assert any("\u4e00" <= ch <= "\u9fff" for c in cells(chapter, "zh") if c.kind == "markdown" for ch in c.source)


@pytest.mark.parametrize("number", NUMBERS)
def test_every_lesson_runs_and_its_numbers_are_json(number, lesson_run):
    run = lesson_run(number)
    assert run.cells and any(cell.output for cell in run.cells), "a lesson shows what it computes"
    json.dumps(to_jsonable(run.results()))  # every named result is in the namespace and can be printed as JSON


# Every lesson's cells run in-process above (the same code: `--code` is the cells joined); these run as plain files
# in a fresh interpreter too, where it matters most: DataLoader workers and the __main__ guard (3, 7), figures (9),
# pickling a class of the script (17), the course's whole train.py (19).
@pytest.mark.slow
@pytest.mark.parametrize("number", [3, 7, 9, 17, 19])
def test_the_code_alone_runs_as_a_plain_file_in_an_empty_folder(number, tmp_path, capsys):
    assert main(["lesson", str(number), "--code"]) == 0
    (tmp_path / "lesson.py").write_text(capsys.readouterr().out, encoding="utf-8")
    done = subprocess.run([sys.executable, "lesson.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("number", NUMBERS)
def test_pages_are_made_from_the_script_as_it_is(number):
    chapter = find_chapter(number)
    for lang in ("zh", "en"):
        page = chapter.page(lang)
        assert page_sha(page) == script_sha(chapter), (
            f"{page} was made from another lesson.py: run python scripts/make_pages.py {number}")
        text = page.read_text(encoding="utf-8")
        assert "```python" in text and "```text" in text and chapter.video in text
        for name in text.split("](figures/")[1:]:
            assert (chapter.folder / "figures" / name.split(")")[0]).is_file()


def test_lesson_shows_code_then_output_and_ends_with_where_to_read(tmp_path, capsys):
    assert main(["lesson", "9", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    code_at, output_at = out.index("output = F.conv2d(input, kernel, stride=1)"), out.index("[18., 16., 16.]")
    assert code_at < output_at and "Lesson 9: conv" in out.splitlines()[0]
    assert out.rstrip().splitlines()[-1].startswith("read it: ") and "torchstart exercise 9" in out
    assert list((tmp_path / "figures").glob("*.png"))  # the feature maps, saved where the lesson ran


def test_lesson_json_and_quiet(tmp_path, capsys):
    assert main(["lesson", "conv", "--json", "--out", str(tmp_path / "a")]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["number"] == 9 and payload["result"]["output2"] == [[[[10.0, 12.0], [13.0, 3.0]]]]
    assert main(["lesson", "conv", "--quiet", "--out", str(tmp_path / "b")]) == 0
    quiet = capsys.readouterr().out
    assert "[13.,  3.]" in quiet and "F.conv2d" not in quiet


def test_chinese_lesson_shows_chinese_prose_and_comments(tmp_path, capsys):
    assert main(["--lang", "zh", "lesson", "9", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "第 9 课" in out and "# 卷积核是随机初始化的" in out and "the kernels start random" not in out


@pytest.fixture
def broken_chapter(tmp_path, monkeypatch):
    folder = tmp_path / "30_broken"
    folder.mkdir()
    shutil.copy(find_chapter(9).folder / "chapter.toml", folder)
    (folder / "lesson.py").write_text('# %% [markdown] lang="en"\n# text\n\n# %%\nx = 1\n\n# %%\ny = 2\nz = y / 0\n')
    chapter = read_chapter(folder)
    monkeypatch.setattr(course, "chapters", lambda: (chapter,))
    return chapter


def test_a_script_that_raises_names_the_cell_and_line(broken_chapter, tmp_path):
    with pytest.raises(LessonFailed) as err:
        run_cells(broken_chapter, "en", tmp_path / "run")
    assert "lesson 30, cell 3, line 2 (z = y / 0): ZeroDivisionError" in str(err.value)


def test_the_cli_reports_a_failing_lesson_in_one_line_exit_2(broken_chapter, tmp_path, capsys):
    assert main(["lesson", "30", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cell 3, line 2" in err[0] and "Traceback" not in err[0]


def test_notebook_is_the_lesson_in_the_learners_language(tmp_path, capsys):
    assert main(["--lang", "zh", "notebook", "13", "-o", str(tmp_path)]) == 0
    book = nbformat.read(tmp_path / "13-sequential.ipynb", as_version=4)
    nbformat.validate(book)
    sources = [cell.source for cell in book.cells]
    assert book.cells[0].cell_type == "markdown" and "nn.Sequential(" in "\n".join(sources)
    assert "\n\n\n".join(s for c, s in zip(book.cells, sources) if c.cell_type == "code") == code(find_chapter(13),
                                                                                              "zh").strip()
