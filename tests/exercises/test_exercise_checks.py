"""Every exercise, end to end: the starter as shipped fails cleanly (exit 1), the reference solution passes
(exit 0), and every planted mistake fails with its own hint.

All these files run in one child process, as `torchstart check` runs one (torch is imported once for all).
"""

from __future__ import annotations

import pytest

from torchstart.course import chapters
from torchstart.exercises import EXERCISES
from torchstart.exercises.check import run_many
from torchstart.exercises.starter import blocks, solution_source, solution_text, starter_text


def module(exercise):
    return exercise.load_checks()


MISTAKES = [(e, i, m) for e in EXERCISES for i, m in enumerate(module(e).MISTAKES)]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """{(exercise name, "starter" | "solution" | "mistake N"): Outcome} for every exercise and planted mistake."""
    folder = tmp_path_factory.mktemp("exercise-files")
    files = {}
    for exercise in EXERCISES:
        files[exercise.name, "starter"] = starter_text(exercise)
        files[exercise.name, "solution"] = solution_text(exercise)
    for exercise, index, mistake in MISTAKES:
        files[exercise.name, f"mistake {index}"] = solution_text(exercise).replace(mistake.old, mistake.new)
    jobs = []
    for (name, kind), text in files.items():
        exercise = next(e for e in EXERCISES if e.name == name)
        path = folder / f"{exercise.number:02d}_{exercise.name}_{kind.replace(' ', '')}.py"
        path.write_text(text, encoding="utf-8")
        jobs.append((exercise, path))
    return dict(zip(files, run_many(jobs)))


def test_every_lesson_has_an_exercise_with_checks_hints_and_a_planted_mistake():
    assert [e.number for e in EXERCISES if not e.text.part] == [chapter.number for chapter in chapters()]
    for exercise in EXERCISES:
        assert module(exercise).CHECKS and module(exercise).MISTAKES and exercise.hints, exercise.name
        assert blocks(solution_source(exercise).splitlines()), f"{exercise.file_name} has no solution block"
    assert 20 <= sum(len(module(e).CHECKS) for e in EXERCISES) / 2 <= 60  # about 20–30 things to write


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_the_starter_fails_every_check_without_crashing(outcomes, exercise):
    outcome = outcomes[exercise.name, "starter"]
    assert outcome.problem is None and outcome.exit_code == 1, outcome.detail
    assert len(outcome.results) == len(module(exercise).CHECKS)
    assert all(not r.ok and "not written yet" in r.hint for r in outcome.results), outcome.results


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_the_reference_solution_passes(outcomes, exercise):
    outcome = outcomes[exercise.name, "solution"]
    assert outcome.exit_code == 0, (outcome.detail, [r for r in outcome.results if not r.ok])
    assert len(outcome.results) == len(module(exercise).CHECKS)


@pytest.mark.parametrize("exercise, index, mistake", MISTAKES, ids=lambda v: v.name if hasattr(v, "name")
                         else str(v) if isinstance(v, int) else "")
def test_a_planted_mistake_fails_with_its_own_hint(outcomes, exercise, index, mistake):
    assert mistake.old in solution_text(exercise), f"{mistake.old!r} is not in {exercise.file_name} any more"
    outcome = outcomes[exercise.name, f"mistake {index}"]
    assert outcome.problem is None and outcome.exit_code == 1, outcome.detail
    hints = [r.hint for r in outcome.results if not r.ok]
    assert any(mistake.expect in hint for hint in hints), hints


def test_a_mistake_found_on_generated_inputs_names_the_smallest_one(outcomes):
    conv = next(e for e in EXERCISES if e.name == "conv")
    index = next(i for i, m in enumerate(module(conv).MISTAKES) if m.new == "kh = kw = kernel.shape[0]")
    hints = [r.hint for r in outcomes["conv", f"mistake {index}"].results if not r.ok]
    assert hints == ["with stride=1, padding=0 your output has shape (1, 2), expected (1, 1): each side is ⌊(size + "
                     "2·padding − kernel) / stride⌋ + 1, with the kernel's own height and width (image [[0, 0]], "
                     "kernel [[0, 0]])"]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_every_hint_is_about_one_of_the_exercise_s_checks(exercise):
    assert len(exercise.text.hint_checks) == len(exercise.hints)
    assert all(1 <= about <= len(module(exercise).CHECKS) for about in exercise.text.hint_checks)
