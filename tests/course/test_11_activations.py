"""Lesson 11 (activations): ReLU, Sigmoid and Softmax against their formulas, the in-place traps, and the images
written to TensorBoard — read from the executed script's variables."""

import math
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

INPUT = [[1.0, -0.5], [-1.0, 3.0]]


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(11).namespace


def test_the_course_input_in_the_course_shape(ns):
    assert ns["input"].shape == (1, 1, 2, 2) and ns["input"][0, 0].tolist() == INPUT


def test_relu_zeroes_the_negatives(ns):
    assert ns["output_relu"].shape == (1, 1, 2, 2)
    assert ns["output_relu"][0, 0].tolist() == [[1, 0], [0, 3]] == [[max(v, 0.0) for v in row] for row in INPUT]


def test_sigmoid_matches_one_over_one_plus_exp(ns):
    result = ns["output_sigmoid"][0, 0].tolist()
    assert result[0][0] == pytest.approx(0.7311, abs=1e-4)
    for row_torch, row in zip(result, INPUT):
        assert row_torch == pytest.approx([sigmoid(v) for v in row], abs=1e-6)


def test_softmax_rows_are_exp_over_sum_and_sum_to_one(ns):
    for row_torch, row in zip(ns["probabilities"].tolist(), INPUT):
        total = sum(math.exp(v) for v in row)
        assert row_torch == pytest.approx([math.exp(v) / total for v in row], abs=1e-6)
    assert ns["row_sums"].tolist() == pytest.approx([1.0, 1.0], abs=1e-6)
    # the wrong dim normalises the columns, so the rows stop summing to 1
    dim0 = ns["dim0_row_sums"].tolist()
    assert dim0 != pytest.approx([1.0, 1.0], abs=1e-3)
    column_totals = [sum(math.exp(row[j]) for row in INPUT) for j in range(2)]
    assert dim0[0] == pytest.approx(sum(math.exp(INPUT[0][j]) / column_totals[j] for j in range(2)), abs=1e-6)
    assert dim0 == pytest.approx([0.9101, 1.0899], abs=1e-4) and sum(dim0) == pytest.approx(2.0)


def test_inplace_relu_overwrites_its_input(ns):
    assert ns["inplace_input"].tolist() == [[1, 0], [0, 3]]
    assert ns["copy_input"].tolist() == INPUT


def test_inplace_relu_breaks_sigmoid_backward_and_the_default_does_not(ns):
    assert ns["inplace_error"].startswith("one of the variables needed for gradient computation has been modified by "
                                          "an inplace operation")
    assert "output 0 of Sigmoid" in ns["inplace_error"]
    # without inplace the same graph differentiates: dσ/dx = σ(x)(1 − σ(x)), the ReLU passes it (σ(x) > 0)
    s = torch.sigmoid(torch.tensor(INPUT))
    torch.testing.assert_close(ns["x"].grad, s * (1 - s))
    torch.testing.assert_close(ns["x"].grad, ns["s"] * (1 - ns["s"]))


def test_images_go_through_the_activations(ns):
    assert len(ns["dataset"].dataset) == 500  # the real test sample, offline
    assert len(ns["dataset"]) == 16 and ns["step"] == 2  # 16 of them, 8 at a time
    assert ns["relu_changed"] == 0  # pixels in [0, 1] are never negative
    assert sigmoid(0) <= ns["sigmoid_min"] < ns["sigmoid_max"] <= sigmoid(1) + 1e-6
    assert ns["imgs"].shape == (8, 3, 32, 32) and ns["rows"].shape == (24, 3, 32, 32)
    torch.testing.assert_close(ns["rows"][16:], torch.sigmoid(ns["imgs"]))  # the figure's last row is Sigmoid's


def test_the_tensorboard_events_hold_every_batch(ns):
    log_dir = Path(ns["__file__"]).parent / ns["writer"].log_dir
    events = EventAccumulator(str(log_dir), size_guidance={"images": 0})  # 0: keep every step
    events.Reload()
    assert sorted(events.Tags()["images"]) == ["input", "relu", "sigmoid"]
    for tag in ("input", "relu", "sigmoid"):
        assert [event.step for event in events.Images(tag)] == [0, 1]
    grid = events.Images("sigmoid")[0]
    assert (grid.width, grid.height) == (8 * 32, 32)  # one row of the batch's 8 images, side by side


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(11, "zh")
    assert torch.equal(zh.namespace["probabilities"], lesson_run(11).namespace["probabilities"])
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "改写了 Sigmoid 的输出" in sources and "overwrites Sigmoid's output" not in sources
