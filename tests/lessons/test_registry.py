"""Every registered lesson: importable, documented in zh + en, runs, and its result is JSON."""

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from torchstart.cli import main
from torchstart.i18n import using
from torchstart.lessons import LESSONS, find_lesson
from torchstart.lessons.runner import docs_index, format_result, to_jsonable

DOCS = Path(__file__).resolve().parents[2] / "docs"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_registry_is_numbered_1_to_20_with_unique_names():
    assert [lesson.number for lesson in LESSONS] == list(range(1, 22))
    assert len({lesson.name for lesson in LESSONS}) == 21
    assert find_lesson("9") is find_lesson("conv") is find_lesson(9) is find_lesson("09")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_lesson_module_has_the_lesson_shape(lesson):
    module = lesson.load()
    doc = module.__doc__ or ""
    assert CJK.search(doc) and "English" in doc, "docstring needs the goal in Chinese and English"
    for name in ("run", "describe", "main"):
        assert callable(getattr(module, name, None)), f"{lesson.name} has no {name}()"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_every_lesson_runs_and_its_result_is_json(lesson, lesson_result):
    result = lesson_result(lesson.name)
    assert dataclasses.is_dataclass(result)
    payload = json.loads(json.dumps(to_jsonable(result)))
    assert payload and isinstance(payload, dict)
    assert lesson.load().describe(result).strip()


@pytest.mark.parametrize("name, chinese, english", [
    ("env", "当前的 Python：", "this Python: "),
    ("dir_help", "个公开名字", " public names"),
    ("dataset", "最后那个不满的批次被丢掉", "the short last batch is dropped"),
    ("tensorboard", "读回的图像：", "images read back: "),
    ("opencv", "第 y=", "pixel at row y="),
    ("transforms", "并不是 0.5 和 0.5", "not 0.5 and 0.5"),
])
def test_a_lesson_describes_its_result_in_chinese_when_asked(name, chinese, english, lesson_result):
    lesson, result = find_lesson(name), lesson_result(name)
    with using("zh"):
        text = format_result(lesson, result, as_json=False)
        payload = json.loads(format_result(lesson, result, as_json=True))
    assert text.startswith(f"第 {lesson.number} 课：{name} — ") and chinese in text and english not in text
    assert CJK.search(text.splitlines()[1])
    assert set(payload) == {"lesson", "number", "result"}  # JSON keys stay English
    assert english in lesson.load().describe(result)  # and English again outside the block


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_docs_have_a_page_per_lesson_and_a_current_index(lang):
    folder = DOCS / lang / "lessons"
    for lesson in LESSONS:
        assert (folder / f"{lesson.slug}.md").is_file(), f"missing docs/{lang}/lessons/{lesson.slug}.md"
    assert (folder / "README.md").read_text(encoding="utf-8") == docs_index(lang), \
        "regenerate with: python scripts/make_docs_index.py"


def test_cli_lists_and_runs_lessons(capsys, tmp_path):
    assert main(["lessons"]) == 0
    listing = capsys.readouterr().out
    assert all(lesson.name in listing and lesson.goal in listing for lesson in LESSONS)
    assert main(["lesson", "9", "--json", "--out", str(tmp_path)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["lesson"] == "conv" and payload["result"]["stride2"] == [[10, 12], [13, 3]]


def test_cli_unknown_lesson_is_one_line_exit_2(capsys):
    assert main(["lesson", "nope"]) == 2
    err = capsys.readouterr().err
    assert "there is no lesson 'nope'" in err and len(err.strip().splitlines()) == 1


def test_lesson_module_runs_as_a_script():
    done = subprocess.run([sys.executable, "-m", "torchstart.lessons.conv", "--json"], capture_output=True,
                          text=True, timeout=120, check=True)
    assert json.loads(done.stdout)["result"]["stride1"][0] == [10, 12, 12]


@pytest.mark.parametrize("readme,lang", [("README.md", "zh"), ("README.en.md", "en")])
def test_each_readme_links_every_lesson_page_in_its_language(readme, lang):
    text = (DOCS.parent / readme).read_text(encoding="utf-8")
    for lesson in LESSONS:
        assert f"(docs/{lang}/lessons/{lesson.slug}.md)" in text
