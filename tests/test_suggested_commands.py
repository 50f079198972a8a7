"""A fix always names a command and flags that exist: every `torchstart …` a message suggests parses with the
real parser, and every flag an error names belongs to the command that raised it (issue 26, item 5)."""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from torchstart.cli import build_parser, main

PARSER = build_parser()
SUBCOMMANDS: dict[str, argparse.ArgumentParser] = next(
    a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction)).choices
# `torchstart <words>` in running text; a suggestion ends at punctuation, a redirect or a word of prose
SUGGESTION = re.compile(r"torchstart((?: +(?:\[[^\]]*\]|[^\s`;,()：；，（）。>]+))+)")
PLACEHOLDERS = {"{number}": "9", "NUMBER": "9", "NAME": "conv", "NUMBER|NAME": "9",
                "编号": "9", "名字": "conv", "编号|名字": "9"}  # the metavars as the Chinese messages write them


def suggestions(text: str) -> list[list[str]]:
    """Each command `text` suggests, as argv; alternatives (`A|B`, `[--x | --y]`) expanded into one argv each."""
    found = []
    for hit in SUGGESTION.finditer(text):
        if len(hit.group(1).split()) == 1 and not parses(hit.group(1).split()):  # a name: "written by `torchstart
            continue  # export`", "torchstart demo" (a title); a command with its arguments must parse
        words = re.findall(r"\[[^\]]*\]|\S+", hit.group(1))
        if not words or words[0] not in SUBCOMMANDS:  # "torchstart checkpoint", "torchstart {command}: error"
            continue
        command = []
        for word in words:
            prose = word not in PLACEHOLDERS and (re.fullmatch(r"[a-z]+", word) or re.search(r"[\u4e00-\u9fff]", word)
                                                  and not re.search(r"\.[a-z]+$", word))  # 你的图片.jpg: a file
            if word.endswith((":", ".")) or (command and prose and not _takes_word(words[0], command, word)):
                break
            command.append(word)
        options = [[PLACEHOLDERS.get(w, w)] if not w.startswith("[") else
                   [alt.strip() for alt in w.strip("[]").split("|")] for w in command]
        found += [list(argv) for argv in itertools.product(*options)]
    return found


def _takes_word(name: str, so_far: list[str], word: str) -> bool:
    """Whether a lower-case `word` after `so_far` is part of the command (a subcommand's choice or a value)."""
    actions = SUBCOMMANDS[name]._actions
    choices = {c for a in actions if a.choices for c in a.choices}
    after_flag = [a for a in actions if so_far[-1] in a.option_strings and a.nargs != 0]
    return word in choices or bool(after_flag)


def parses(argv: list[str]) -> bool:
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            PARSER.parse_args(argv)
        except SystemExit:
            return False
    return True


def catalog_texts() -> list[str]:
    import torchstart

    texts = []
    po = Path(torchstart.__file__).parent / "locale" / "zh" / "LC_MESSAGES" / "torchstart.po"
    for message in read_po(po.open("rb")):
        for part in (message.id, message.string):
            texts += [part] if isinstance(part, str) else list(part or ())
    return [t for t in texts if t]


def test_the_suggestion_reader_finds_commands_and_stops_at_prose():
    assert suggestions("stuck? `torchstart hint {number}` in a terminal") == [["hint", "9"]]
    assert suggestions("run one: torchstart lesson NUMBER|NAME [--code | --quiet | --json]") == [
        ["lesson", "9", "--code"], ["lesson", "9", "--quiet"], ["lesson", "9", "--json"]]
    assert suggestions("save it with `torchstart config lang zh` (shown once)") == [["config", "lang", "zh"]]
    assert suggestions("torchstart {command}: error: {error}") == []
    assert not parses(["exercise", "9", "--out", "x"])  # the example of the issue: exercise has no --out


def test_every_command_a_message_suggests_parses():
    """In English and in Chinese: a translation must not change a command either."""
    wrong = {(" ".join(argv), text[:80]) for text in catalog_texts() for argv in suggestions(text) if not parses(argv)}
    assert not wrong
    assert len({" ".join(argv) for text in catalog_texts() for argv in suggestions(text)}) > 20


def flags_named(line: str) -> set[str]:
    """The flags an error line names outside the commands it suggests (those are checked by parsing)."""
    outside = SUGGESTION.sub("", line)
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-o)\b", outside))


@pytest.fixture(scope="module")
def paths(tmp_path_factory, course_checkpoint) -> dict[str, str]:
    root = tmp_path_factory.mktemp("suggest")
    (root / "a-file").write_text("not a folder")
    (root / "folder").mkdir()
    return {"{file}": str(root / "a-file"), "{dir}": str(root / "folder"), "{ckpt}": str(course_checkpoint)}


# Every command, given a path of the wrong kind or a name that is not there: the errors that name a flag.
WRONG = [
    ["exercise", "9", "--dir", "{file}"], ["check", "9", "--dir", "{file}"], ["hint", "9", "--dir", "{file}"],
    ["notebook", "9", "-o", "{file}/x.ipynb"],
    ["notebook", "9", "--exercise", "-o", "{file}/x.ipynb"], ["lesson", "1", "--out", "{file}"],
    ["train", "--out", "{file}"], ["train", "--data-dir", "{file}"], ["train", "--resume", "{file}"],
    ["train", "--resume", "{dir}"], ["train", "--init", "{file}"],
    ["export", "{ckpt}", "{file}/model.safetensors"], ["export", "{dir}", "{dir}/m.safetensors"],
    ["import-course-model", "{file}", "{dir}/new.pt"], ["predict", "{ckpt}", "{file}"],
    ["predict", "{ckpt}", "{dir}", "--explain", "{file}/why.png"], ["evaluate", "{file}"],
    ["evaluate", "{ckpt}", "--data-dir", "{file}"], ["board", "{file}"], ["runs", "{file}"],
    ["demo", "{file}"], ["lesson", "99"], ["solution", "99"], ["exercise", "nothing"],
]


@pytest.mark.parametrize("argv", WRONG, ids=" ".join)
def test_every_flag_an_error_names_belongs_to_its_command(argv, paths):
    argv = [paths.get(a, a) if "/" not in a else a.replace("{file}", paths["{file}"]) for a in argv]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    line = err.getvalue().strip().splitlines()[-1]
    assert code == 2, line
    own = {flag for action in SUBCOMMANDS[argv[0]]._actions for flag in action.option_strings}
    assert flags_named(line) <= own, line
    assert all(parses(suggested) for suggested in suggestions(line)), line
