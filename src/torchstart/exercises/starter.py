"""The learner's files, made from the reference solution: the starter (TODOs) and the full solution.

A reference solution (solutions/NN_name.py) marks each part the learner writes the way nbgrader does:

    def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
        ### BEGIN SOLUTION
        return (size + 2 * padding - kernel) // stride + 1
        ### END SOLUTION

The starter keeps everything else (imports, signatures, docstrings) and puts a TODO line and
`raise NotImplementedError` where each block was, so a starter runs and its check fails cleanly (exit 1).
The solution is the same file without the marker lines. Both open with the same header: the task in
Chinese and English, what a correct answer produces, and the commands to check it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ..files import atomic_write, new_output, writable_dir
from ..i18n import N_, columns, in_language
from . import Exercise

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
TODO = "# TODO: 在这里写你的代码 / write your code here"
LANGS = ("zh", "en")
WIDTH = 104  # columns per header line; a Chinese character takes two
TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\uff00-\uffef]+|.")  # spaces, a run of other text, or one CJK character

HEADER_LINES = (  # (message, which file: "both", "starter" or "solution"); each shown in Chinese, then English
    (N_("Exercise {number} ({name}, course chapter {chapter}): {goal}"), "both"),
    (N_("A reference solution: one correct answer among many. Reading it after trying is a fine way to learn."),
     "solution"),
    (N_("Task: {task}"), "both"),
    (N_("When it is right: {expect}"), "both"),
    (N_("Replace each TODO with your code, then run `torchstart check {number}`; stuck? `torchstart hint {number}`."),
     "starter"),
)


def solution_source(exercise: Exercise) -> str:
    return exercise.solution_path.read_text(encoding="utf-8")


def _body(source: str) -> list[str]:
    """The source's lines without its module docstring (the header takes its place)."""
    lines = source.splitlines()
    tree = ast.parse(source)
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant):
        lines = lines[tree.body[0].end_lineno:]
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(begin, end) line indices of every solution block; ValueError for markers out of order."""
    found, begin = [], None
    for index, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN and begin is None:
            begin = index
        elif marker == END and begin is not None:
            found.append((begin, index))
            begin = None
        elif marker in (BEGIN, END):
            raise ValueError(f"line {index + 1}: {marker} out of order")
    if begin is not None:
        raise ValueError(f"line {begin + 1}: {BEGIN} without {END}")
    return found


def wrap(text: str, width: int = WIDTH) -> str:
    """`text` in lines of at most `width` columns, broken at spaces or between Chinese characters (never inside
    a word or a piece of code)."""
    lines, line = [], ""
    for token in TOKEN.findall(text):
        if line and columns(line + token.rstrip()) > width:
            lines.append(line.rstrip())
            line = "" if token.isspace() else token
        elif not (token.isspace() and not line):
            line += token
    return "\n".join([*lines, line.rstrip()])


def header(exercise: Exercise, *, solution: bool) -> str:
    lesson = exercise.chapter
    kind = "solution" if solution else "starter"
    paragraphs = []
    for message, shown in HEADER_LINES:
        if shown not in ("both", kind):
            continue
        for lang in LANGS:
            text = in_language(message, lang).format(
                number=exercise.key, name=exercise.name, chapter=lesson.chapter, goal=lesson.goal.get(lang),
                task=exercise.task.get(lang), expect=exercise.expect.get(lang))
            paragraphs.append(wrap(text))
        paragraphs.append("")
    return '"""' + "\n".join(paragraphs).strip() + '\n"""\n\n'


def starter_text(exercise: Exercise) -> str:
    """The file `torchstart exercise N` writes: the header, then the solution with every block made a TODO."""
    lines = _body(solution_source(exercise))
    for begin, end in reversed(blocks(lines)):
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        lines[begin:end + 1] = [indent + TODO, indent + "raise NotImplementedError"]  # not text
    return header(exercise, solution=False) + "\n".join(lines) + "\n"


def solution_text(exercise: Exercise) -> str:
    """The file `torchstart solution N` prints: the header, then the solution without its marker lines."""
    lines = _body(solution_source(exercise))
    marked = {i for pair in blocks(lines) for i in pair}
    return header(exercise, solution=True) + "\n".join(line for i, line in enumerate(lines) if i not in marked) + "\n"


def write_starter(exercise: Exercise, folder: Path, *, force: bool = False) -> tuple[Path, Path | None]:
    """Write the starter into `folder`; never over a learner's file unless `force` (then it is kept aside).

    Returns (the starter's path, where the old file went or None).
    """
    path = Path(folder) / exercise.file_name
    writable_dir(path.parent, "--dir")
    backup = new_output(path, force=force, what=N_("exercise file"))
    text = starter_text(exercise)
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return path, backup
