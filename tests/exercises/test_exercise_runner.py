"""`torchstart check`'s process: a file that cannot be run ends with exit 2 and one clear line; output format.

The broken files share one child process where they can (each ends its own job); an endless loop needs a
process of its own, which the time limit ends.
"""

from __future__ import annotations

import pytest

from torchstart.exercises import find_exercise
from torchstart.exercises.check import Outcome, Result, format_outcome, run_check, run_many
from torchstart.exercises.starter import solution_text
from torchstart.i18n import using

CONV = find_exercise("conv")
BROKEN = {
    "syntax": "def conv_output_size(size, kernel:\n    return size\n",
    "crash": "import torch\n\nprint('hello from the learner')\nvalue = torhc.zeros(3)\n",
    "exit": "import sys\n\nsys.exit('bye')\n",
    "unreadable": b"\xff\xfe not utf-8 \x00",
    "missing_name": "def conv_output_size(size, kernel, stride=1, padding=0):\n"
                    "    return (size + 2 * padding - kernel) // stride + 1\n",
    "raises": solution_text(CONV).replace("out[i, j] = (window * kernel).sum()", "out[i, j] = window.sum(1)"),
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    jobs = []
    for name, text in BROKEN.items():
        path = folder / f"{name}.py"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        jobs.append((CONV, path))
    return {name: (path, outcome) for name, (_e, path), outcome in zip(BROKEN, jobs, run_many(jobs))}


def test_a_syntax_error_is_shown_as_python_shows_it_with_one_friendly_line(broken):
    path, outcome = broken["syntax"]
    text = format_outcome(CONV, path, outcome)
    assert outcome.exit_code == 2 and outcome.line == 1
    assert f'File "{path}", line 1' in text and "SyntaxError: " in text and "^" in text
    assert text.splitlines()[-1].startswith("Python could not read your file: there is a syntax error on line 1")


def test_an_error_before_the_checks_shows_the_learners_traceback_only(broken):
    path, outcome = broken["crash"]
    text = format_outcome(CONV, path, outcome)
    assert outcome.exit_code == 2 and outcome.line == 4
    assert "NameError: name 'torhc' is not defined" in text and "value = torhc.zeros(3)" in text
    assert "runner.py" not in text  # the checker's own frames are left out
    assert "your file stopped with an error on line 4 before the checks could start" in text


@pytest.mark.parametrize("name, words", [("exit", "SystemExit: bye"), ("unreadable", "UnicodeDecodeError")])
def test_exit_and_a_file_that_is_not_text_end_with_exit_2(broken, name, words):
    path, outcome = broken[name]
    assert outcome.exit_code == 2 and outcome.problem == "crash"
    assert words in format_outcome(CONV, path, outcome)


def test_a_missing_function_and_an_error_inside_one_are_failed_checks_with_hints(broken):
    _path, missing = broken["missing_name"]
    assert missing.exit_code == 1 and missing.results[0].ok
    assert "your file defines no conv2d_by_hand" in missing.results[1].hint
    _path, raises = broken["raises"]
    assert raises.exit_code == 1
    assert any("line " in r.hint and "window.sum(1)" in r.hint for r in raises.results if not r.ok)


def test_an_endless_loop_is_stopped_at_the_time_limit_naming_the_check(tmp_path):
    path = tmp_path / "09_conv.py"
    path.write_text("def conv_output_size(size, kernel, stride=1, padding=0):\n    while True:\n        pass\n",
                    encoding="utf-8")
    outcome = run_check(CONV, path, time_limit=1.5)
    text = format_outcome(CONV, path, outcome)
    assert outcome.exit_code == 2 and outcome.problem == "timeout"
    assert "stopped after 2 s while checking “conv_output_size agrees with nn.Conv2d" in text
    assert "is there a loop that never ends" in text


def test_the_report_has_one_line_per_check_and_a_summary():
    outcome = Outcome(results=[Result("first", True), Result("second", False, "is stride 1?")], seconds=1.25,
                      printed="debug 1\ndebug 2")
    lines = format_outcome(CONV, "exercises/09_conv.py", outcome).splitlines()
    assert lines[:3] == ["exercise 9 (conv): exercises/09_conv.py", "  ✓ first", "  ✗ second — is stride 1?"]
    assert lines[3] == "1 of 2 checks passed (1.2 s). Edit the file and check again; stuck? torchstart hint 9"
    assert lines[4:] == ["your file printed (last lines):", "    debug 1", "    debug 2"]
    assert outcome.exit_code == 1


def test_the_report_and_the_checks_speak_chinese(tmp_path):
    path = tmp_path / "09_conv.py"
    path.write_text(BROKEN["missing_name"], encoding="utf-8")
    with using("zh"):
        outcome = run_check(CONV, path)
        text = format_outcome(CONV, path, outcome)
    assert outcome.exit_code == 1
    assert "练习 9" in text and "✓" in text and "✗" in text
    assert "conv2d_by_hand" in text and "your file" not in text and "checks passed" not in text
