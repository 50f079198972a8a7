"""The exercise commands, through a parser built with `add_exercise_commands` (as the CLI builds its own):
starters that never overwrite a learner's file, hints one at a time, the solution on stdout, progress."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

import pytest

from torchstart.errors import ConfigError
from torchstart.exercises import EXERCISES, find_exercise
from torchstart.exercises.commands import COMMANDS, add_exercise_commands
from torchstart.exercises.starter import BEGIN, TODO, solution_text, starter_text
from torchstart.i18n import using

CONV = find_exercise("conv")


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="torchstart")
    add_exercise_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return COMMANDS[args.command](args)


def test_every_command_is_registered():
    assert set(COMMANDS) == {"exercises", "exercise", "check", "hint", "solution"}


@pytest.mark.parametrize("key", ["9", 9, "09", "conv", "卷积"])
def test_exercises_are_found_like_lessons(key):
    assert find_exercise(key) is CONV


@pytest.mark.parametrize("key", ["3b", "03b", "dataset_b", " 3B "])
def test_a_second_exercise_is_found_by_its_key_or_name_and_listed_after_the_first(key):
    second = find_exercise(key)
    assert (second.key, second.name, second.file_name) == ("3b", "dataset_b", "03_dataset_b.py")
    assert EXERCISES.index(second) == EXERCISES.index(find_exercise("dataset")) + 1


def test_an_unknown_exercise_is_a_learner_error():
    with pytest.raises(ConfigError, match="there is no lesson"):
        find_exercise("nope")
    with pytest.raises(ConfigError, match=r"lesson 1 \(env\) has no exercise 1b"):
        find_exercise("1b")


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_the_starter_states_the_task_in_chinese_and_english_and_hides_the_solution(exercise):
    text = starter_text(exercise)
    header = text.split('"""')[1]
    for lang in ("zh", "en"):
        assert exercise.task.get(lang)[:12] in header.replace("\n", " ")
    assert f"torchstart check {exercise.key}`" in header
    assert TODO in text and BEGIN not in text and "END SOLUTION" not in text
    assert BEGIN not in solution_text(exercise) and TODO not in solution_text(exercise)
    compile(text, exercise.file_name, "exec")


def test_exercise_writes_the_starter_and_never_overwrites_without_force(tmp_path, capsys):
    folder = tmp_path / "exercises"
    assert run("exercise", "9", "--dir", str(folder)) == 0
    path = folder / "09_conv.py"
    assert path.read_text(encoding="utf-8") == starter_text(CONV)
    assert "torchstart check 9" in capsys.readouterr().out
    path.write_text("# my own work\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists"):
        run("exercise", "conv", "--dir", str(folder))
    assert path.read_text(encoding="utf-8") == "# my own work\n"
    assert run("exercise", "conv", "--dir", str(folder), "--force") == 0
    backups = list(folder.glob("09_conv.py.old-*"))
    assert [b.read_text(encoding="utf-8") for b in backups] == ["# my own work\n"]
    assert str(backups[0]) in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == starter_text(CONV)


def test_check_records_progress_and_exercises_shows_it(tmp_path, capsys):
    folder = tmp_path / "exercises"
    run("exercise", "9", "--dir", str(folder))
    assert run("check", "9", "--dir", str(folder)) == 1
    out = capsys.readouterr().out
    assert out.count("✗") == 6 and "0 of 6 checks passed" in out
    mine = tmp_path / "mine.py"
    mine.write_text(solution_text(CONV), encoding="utf-8")
    assert run("check", "conv", str(mine), "--dir", str(folder)) == 0
    assert "all 6 checks passed" in capsys.readouterr().out
    progress = json.loads((folder / ".progress.json").read_text(encoding="utf-8"))
    assert progress["exercises"]["conv"]["status"] == "passed" and progress["exercises"]["conv"]["checks"] == 6
    assert run("exercises", "--dir", str(folder)) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[EXERCISES.index(CONV)].split()[:3] == ["9", "conv", "passed"]
    assert rows[0].split()[:4] == ["1", "env", "not", "started"]
    assert rows[len(EXERCISES)] == f"1 of {len(EXERCISES)} exercises passed"


def test_check_without_the_file_says_how_to_make_it(tmp_path):
    with pytest.raises(ConfigError, match=r"torchstart exercise 9"):
        run("check", "9", "--dir", str(tmp_path / "exercises"))
    with pytest.raises(ConfigError, match="is not a file"):
        run("check", "9", str(tmp_path), "--dir", str(tmp_path))
    with pytest.raises(ConfigError, match="time-limit"):
        run("check", "9", "--time-limit", "0", "--dir", str(tmp_path))


def test_hints_come_one_at_a_time_and_progress_remembers(tmp_path, capsys):
    folder = tmp_path / "exercises"
    shown = []
    for _step in range(len(CONV.hints) + 1):
        assert run("hint", "9", "--dir", str(folder)) == 0
        shown.append(capsys.readouterr().out.splitlines()[0])
    assert shown[0].startswith(f"hint 1 of {len(CONV.hints)} for exercise 9 (conv): ")
    assert [line.split(": ", 1)[1] for line in shown] == [h.en for h in (*CONV.hints, CONV.hints[-1])]
    progress = json.loads((folder / ".progress.json").read_text(encoding="utf-8"))
    assert progress["exercises"]["conv"]["hints"] == len(CONV.hints)


def test_a_hint_in_chinese(tmp_path, capsys):
    with using("zh"):
        run("hint", "conv", "--dir", str(tmp_path))
    out = capsys.readouterr().out
    assert out.startswith("练习 9（conv）的第 1 条提示，共 5 条：") and CONV.hints[0].zh in out


def test_solution_prints_a_complete_file_on_stdout_and_a_note_on_stderr(capsys):
    assert run("solution", "9") == 0
    captured = capsys.readouterr()
    assert captured.out == solution_text(CONV)
    assert "torchstart check 9" in captured.err and captured.err.count("\n") == 1


def test_the_commands_and_the_checker_side_load_no_torch():
    probe = ("import sys, argparse\n"
             "import torchstart.exercises.check, torchstart.exercises.progress, torchstart.exercises.starter\n"
             "from torchstart.exercises.commands import add_exercise_commands\n"
             "add_exercise_commands(argparse.ArgumentParser().add_subparsers())\n"
             "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"


def _outcome(*oks: bool):
    from torchstart.exercises.check import Outcome, Result

    return Outcome(results=[Result(f"check {i}", ok, None if ok else f"hint of check {i}")
                            for i, ok in enumerate(oks, start=1)])


def test_a_pass_holds_when_another_file_fails_and_the_listing_shows_task_status_and_day(tmp_path, capsys):
    from torchstart.exercises.progress import load, record_check

    folder = tmp_path / "exercises"
    run("exercise", "9", "--dir", str(folder))
    record_check(folder, CONV, _outcome(True, True, True, True, True), folder / CONV.file_name)
    passed_on = load(folder)["conv"].passed_on
    assert passed_on and load(folder)["conv"].status == "passed"
    record_check(folder, CONV, _outcome(True, True, True, False, False), tmp_path / "scratch.py")
    entry = load(folder)["conv"]
    assert (entry.status, entry.passed_on, entry.last, entry.passed, entry.failed) == (
        "passed", passed_on, "failing", 3, 4)
    assert entry.file == str(tmp_path / "scratch.py") and entry.seen == "check 4 — hint of check 4"
    capsys.readouterr()
    run("exercises", "--dir", str(folder))
    rows = capsys.readouterr().out.splitlines()
    row = rows[EXERCISES.index(CONV)]
    assert re.split(r"\s{2,}", row.strip())[:4] == ["9", "conv", "passed; last check 3/5", passed_on]
    assert CONV.task.en[:30] in row and max(len(row) for row in rows[:len(EXERCISES)]) <= 120
    assert rows[len(EXERCISES)] == f"1 of {len(EXERCISES)} exercises passed"


def test_hint_starts_at_the_hints_of_the_first_failed_check_and_all_shows_every_one(tmp_path, capsys):
    from torchstart.exercises.progress import record_check

    folder = tmp_path / "exercises"
    failing = next(n for n in range(2, 6) if CONV.text.first_hint_for(n) > 0)  # a check with hints of its own
    oks = [n < failing for n in range(1, 6)]
    record_check(folder.parent, CONV, _outcome(*oks), tmp_path / "09_conv.py")
    folder = folder.parent
    assert run("hint", "9", "--dir", str(folder)) == 0
    lines = capsys.readouterr().out.splitlines()
    start = CONV.text.first_hint_for(failing)
    assert lines[0] == f"your last check ({tmp_path / '09_conv.py'}) failed at: check {failing} — hint of check " \
                       f"{failing}"
    assert lines[1] == f"hint {start + 1} of {len(CONV.hints)} for exercise 9 (conv): {CONV.hints[start].en}"
    assert run("hint", "9", "--all", "--dir", str(folder)) == 0
    shown = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 1)[1] for line in shown] == [h.en for h in CONV.hints]


def test_next_names_the_first_lesson_not_run_and_the_first_exercise_not_passed(tmp_path, capsys):
    from torchstart.cli import main
    from torchstart.cli.user_config import record_lesson
    from torchstart.exercises.progress import record_check

    folder = tmp_path / "exercises"
    assert main(["next", "--dir", str(folder)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "next lesson: torchstart lesson 1 (env: check torch versions and available accelerators, and compute once "
        "on the chosen device)", "next exercise: torchstart exercise 1 (env: write environment(): a dict with "
        "torch's version and whethe…)"]
    record_lesson("env")
    run("exercise", "1", "--dir", str(folder))
    record_check(folder, find_exercise(1), _outcome(True, True, True), folder / "01_env.py")
    run("exercise", "2", "--dir", str(folder))
    capsys.readouterr()
    assert main(["next", "--dir", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("next lesson: torchstart lesson 2 (dir_help:")
    assert lines[1] == (f"next exercise: torchstart check 2 ({folder / '02_dir_help.py'}, not checked yet); "
                        "stuck? torchstart hint 2")
    assert main(["lessons"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("✓  1  env") and rows[1].startswith("   2  dir_help")
    assert "torchstart next" in rows[-2]


def test_a_second_exercise_is_an_exercise_b_table_with_its_own_files_key_and_progress_name():
    second = find_exercise("9b")
    assert CONV.chapter.exercise is CONV.text and [t.part for t in CONV.chapter.exercises] == ["", "b"]
    assert [(e.key, e.name, e.file_name, e.solution_path.name) for e in (CONV, second)] == [
        ("9", "conv", "09_conv.py", "exercise.py"), ("9b", "conv_b", "09_conv_b.py", "exercise_b.py")]
    assert second.checks_module.endswith("_09_conv_b") and second.load_checks().CHECKS
    assert second.load_checks() is not CONV.load_checks()
