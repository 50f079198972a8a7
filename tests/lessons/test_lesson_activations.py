"""Lesson 11 (activations): ReLU, Sigmoid and Softmax against their formulas; in-place traps; images."""

import math

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from torchstart.i18n import using
from torchstart.lessons.activations import INPUT, describe


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def test_relu_zeroes_the_negatives(lesson_result):
    result = lesson_result("activations")
    assert result.input == [[1, -0.5], [-1, 3]]
    assert result.relu == [[1, 0], [0, 3]]
    assert result.relu == [[max(v, 0.0) for v in row] for row in INPUT]


def test_sigmoid_matches_one_over_one_plus_exp(lesson_result):
    result = lesson_result("activations")
    assert result.sigmoid[0][0] == pytest.approx(0.7311, abs=1e-4)
    for row_torch, row in zip(result.sigmoid, INPUT):
        assert row_torch == pytest.approx([sigmoid(v) for v in row], abs=1e-6)


def test_softmax_rows_are_exp_over_sum_and_sum_to_one(lesson_result):
    result = lesson_result("activations")
    for row_torch, row in zip(result.softmax, INPUT):
        total = sum(math.exp(v) for v in row)
        assert row_torch == pytest.approx([math.exp(v) / total for v in row], abs=1e-6)
    assert result.softmax_row_sums == pytest.approx([1.0, 1.0], abs=1e-6)
    # the wrong dim normalises the columns, so the rows stop summing to 1
    assert result.softmax_dim0_row_sums != pytest.approx([1.0, 1.0], abs=1e-3)
    column_totals = [sum(math.exp(row[j]) for row in INPUT) for j in range(2)]
    assert result.softmax_dim0_row_sums[0] == pytest.approx(
        sum(math.exp(INPUT[0][j]) / column_totals[j] for j in range(2)), abs=1e-6)


def test_inplace_relu_overwrites_its_input(lesson_result):
    result = lesson_result("activations")
    assert result.inplace_input_after == [[1, 0], [0, 3]]
    assert result.copy_input_after == INPUT


def test_inplace_relu_breaks_sigmoid_backward(lesson_result):
    assert "modified by an inplace operation" in lesson_result("activations").inplace_backward_error
    # without inplace the same graph differentiates: dσ/dx = σ(x)(1 − σ(x)) where σ(x) > 0 (always)
    x = torch.tensor(INPUT, requires_grad=True)
    torch.relu(torch.sigmoid(x)).sum().backward()
    s = torch.sigmoid(x.detach())
    torch.testing.assert_close(x.grad, s * (1 - s))


def test_images_go_to_tensorboard(lesson_result):
    images = lesson_result("activations").images
    assert images.count == 8
    assert images.relu_changed == 0  # pixels in [0, 1] are never negative
    low, high = images.sigmoid_range
    assert sigmoid(0) <= low < high <= sigmoid(1) + 1e-6
    events = EventAccumulator(str(images.log_dir))
    events.Reload()
    assert sorted(events.Tags()["images"]) == ["input", "relu", "sigmoid"]
    grid = events.Images("sigmoid")[0]
    assert grid.width > 32 and grid.height >= 32  # one grid of all 8 images


def test_describe_in_chinese(lesson_result):
    with using("zh"):
        text = describe(lesson_result("activations"))
    assert "每行之和 1.0000, 1.0000" in text and "被改写" in text
