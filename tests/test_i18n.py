"""Every line a learner reads exists in Chinese and English (issue #12), through gettext catalogs.

- the catalog holds every message the code marks, each translated, placeholders kept (scripts/catalog.py);
- the compiled .mo equals the .po, so what gettext reads is what translators wrote;
- text a learner reads (print, errors, describe/format functions) is marked — a lint over the sources;
- the language follows --lang, TORCHSTART_LANG and the locale, and reaches argparse's own words.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import catalog  # noqa: E402

from torchstart import errors, i18n  # noqa: E402
from torchstart.i18n import _, language_from_env, split_lang_flag, using  # noqa: E402

# A chapter's lesson.py is the course's code, whose prose and comments are written in both languages in the script
# itself (course/literate.py); what it prints is language-neutral. Everything else speaks through the catalog.
SOURCES = sorted(p for p in (ROOT / "src" / "torchstart").rglob("*.py") if p.name != "lesson.py")
MARKERS = {"_", "N_", "ngettext"}


def test_the_catalog_is_up_to_date_and_complete():
    wanted = catalog.updated()
    committed = catalog.read(catalog.PO)
    ids = {m.id for m in wanted if m.id}
    assert ids == {m.id for m in committed if m.id}, "run: python scripts/catalog.py update"
    assert catalog.problems(committed) == []
    assert {m.id: m.string for m in wanted if m.id} == {m.id: m.string for m in committed if m.id}


def test_the_compiled_catalog_equals_the_po_file():
    with catalog.MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in catalog.read(catalog.PO):
        if message.id and isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, "run: python scripts/catalog.py update"


def test_placeholder_check_catches_a_lost_field():
    bad = catalog.new_catalog()
    bad.add("epoch {epoch}: {loss:.3f}", "第 {epoch} 轮")
    bad.add("%(count)s images", "%(count)s 张图")
    bad.add("untranslated", "")
    assert catalog.problems(bad) == ["placeholders differ: 'epoch {epoch}: {loss:.3f}' → '第 {epoch} 轮'",
                                     "no translation: 'untranslated'"]


def _marked_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS:
            yield node


def test_marked_messages_are_literals_so_the_extractor_sees_them():
    """`_(f"epoch {n}")` would never be found in the catalog: the text must be a literal, formatted after.

    `_(flag.help)` is fine: it translates a value marked with N_() where it was written.
    """
    bad = []
    for path in SOURCES:
        for call in _marked_calls(ast.parse(path.read_text(encoding="utf-8"))):
            for arg in call.args[:2]:
                if isinstance(arg, (ast.JoinedStr, ast.BinOp, ast.Call)):
                    bad.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert bad == []


# ---- The lint: English text a learner reads, not marked for translation -------------------------------------
WORD = re.compile(r"[A-Za-z]{3,}")
TEXT_FUNCTIONS = re.compile(r"^(describe|format_\w+|listing|advice|\w+_lines?|\w+_text|\w+_message|one_line_\w+)$")
PATH_CHECKS = {"check_input", "new_output", "writable_dir"}  # files.py helpers whose what=/fix= a learner reads
ERROR_NAMES = {name for name, value in vars(errors).items()  # torchstart's own error kinds, not ValueError & co.
               if isinstance(value, type) and issubclass(value, errors.TorchstartError)}


def _text_parts(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return ""


def _unmarked_strings(node: ast.AST, inside_marker: bool = False):
    """String literals under `node` that hold words and are not the argument of _()/N_()/ngettext()."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS:
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
            "join", "format", "split", "startswith", "endswith", "get", "replace", "strip", "rstrip", "lstrip"):
        yield from _unmarked_strings(node.func.value)  # "sep".join(...), "{}".format(...): look at the arguments
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            yield from _unmarked_strings(arg)
        return
    if isinstance(node, ast.Subscript):  # result["key"], os.environ["X"]: keys, not text
        yield from _unmarked_strings(node.value)
        return
    if isinstance(node, (ast.Constant, ast.JoinedStr)):
        if WORD.search(_text_parts(node)):
            yield node
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    yield from _unmarked_strings(value.value)
        return
    for child in ast.iter_child_nodes(node):
        yield from _unmarked_strings(child)


def _learner_text_nodes(tree: ast.AST):
    """print(...) arguments, error constructors' arguments, and the bodies of text-making functions."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and TEXT_FUNCTIONS.match(node.name):
            yield from node.body[1 if ast.get_docstring(node) else 0:]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PATH_CHECKS:
            yield from (k.value for k in node.keywords  # what= and fix= name the path and the fix; a flag is a name
                        if k.arg in ("what", "fix") and not _text_parts(k.value).startswith("--"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                node.func.id == "print" or node.func.id in ERROR_NAMES):
            yield from (a for a in node.args if not (isinstance(a, ast.Name)))
            yield from (k.value for k in node.keywords if k.arg not in ("file", "end", "sep", "flush"))


def unmarked_text(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = set()
    for node in _learner_text_nodes(ast.parse(source)):
        for string in _unmarked_strings(node):
            if "# not text" not in lines[string.lineno - 1]:
                found.add(f"{path.relative_to(ROOT)}:{string.lineno}: {_text_parts(string)[:60]!r}")
    return sorted(found)


def test_text_a_learner_reads_is_marked_for_translation():
    found = [line for path in SOURCES for line in unmarked_text(path)]
    assert found == [], f"{len(found)} unmarked texts (wrap them in _(); `# not text` on lines that are not text)"


def test_the_lint_finds_unmarked_text(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('def describe(r):\n    return [f"epoch {r.n}", _("loss {x}").format(x=1), f"{r.a:.2f}"]\n'
                      'print("done", file=sys.stderr)\nraise DataError(f"no file {p}", _("fix it"))\n'
                      'print(", ".join(["some words"]))\n'
                      'check_input(p, what="runs folder", fix=_("pass it"))\ncheck_input(p, what="--data-dir")\n',
                      encoding="utf-8")
    ROOT_ = ROOT
    try:
        globals()["ROOT"] = tmp_path
        found = unmarked_text(sample)
    finally:
        globals()["ROOT"] = ROOT_
    assert found == ["sample.py:2: 'epoch '", "sample.py:3: 'done'", "sample.py:4: 'no file '",
                     "sample.py:5: 'some words'", "sample.py:6: 'runs folder'"]


# ---- Choosing the language ----------------------------------------------------------------------------------
@pytest.mark.parametrize("environ, expected", [
    ({}, "en"), ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "en_US.UTF-8"}, "en"), ({"LC_ALL": "C"}, "en"),
    ({"LANG": "zh_TW.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),  # LC_ALL comes before LANG
    ({"LANGUAGE": "fr:zh_CN:en", "LANG": "en_US.UTF-8"}, "zh"),  # the first language we have wins
    ({"LANGUAGE": "de", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"TORCHSTART_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"), ({"TORCHSTART_LANG": "zh", "LC_ALL": "C"}, "zh"),
    ({"TORCHSTART_LANG": "klingon", "LANG": "zh_CN.UTF-8"}, "zh"),  # an unknown override is ignored
])
def test_language_from_env(environ, expected):
    assert language_from_env(environ) == expected


@pytest.mark.parametrize("argv, lang, rest", [
    (["train", "--epochs", "1"], None, ["train", "--epochs", "1"]),
    (["--lang", "zh", "train"], "zh", ["train"]), (["train", "--lang=en", "--quiet"], "en", ["train", "--quiet"]),
    (["predict", "--", "--lang", "x.png"], None, ["predict", "--", "--lang", "x.png"]),  # after --: a file name
])
def test_split_lang_flag(argv, lang, rest):
    assert split_lang_flag(argv) == (lang, rest)


def test_a_bad_lang_value_is_refused():
    with pytest.raises(ValueError, match="zh|en"):
        split_lang_flag(["--lang", "fr"])


def test_using_switches_and_restores():
    with using("zh"):
        assert _("options") == "选项"
        with using("en"):
            assert _("options") == "options"
        assert i18n.language() == "zh"


def _torchstart(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in (*i18n.LOCALE_VARS, i18n.ENV_VAR)}
    return subprocess.run([sys.executable, "-m", "torchstart", *args], capture_output=True, text=True,
                          env={**clean, **env}, timeout=60)


def test_help_follows_the_locale_and_the_flag():
    zh = _torchstart("train", "--help", LANG="zh_CN.UTF-8")
    assert zh.returncode == 0 and "用法：" in zh.stdout and "选项" in zh.stdout and "训练集要过几遍" in zh.stdout
    en = _torchstart("train", "--help", "--lang", "en", LANG="zh_CN.UTF-8")
    assert "usage:" in en.stdout and "passes over the training set" in en.stdout and "用法" not in en.stdout
    forced = _torchstart("--help", TORCHSTART_LANG="zh", LANG="en_US.UTF-8")
    assert "显示这段帮助并退出" in forced.stdout


def test_a_flag_error_is_one_translated_line():
    result = _torchstart("train", "--epochs", "many", LANG="zh_CN.UTF-8")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "torchstart train：错误：参数 --epochs：无效的 int 值：'many' — 解决办法：看 `torchstart train --help`"]


def test_a_bad_lang_is_one_line_and_exit_2():
    result = _torchstart("--lang", "fr", "lessons")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and "--lang" in result.stderr
