"""Lesson 14 (losses): torch's losses equal the hand formulas; backward() fills the course model's gradients."""

import math

import pytest
import torch
from torch import nn

from torchstart.lessons.losses import CONFIDENT, cross_entropy_by_hand, l1_by_hand, mse_by_hand, one_batch
from torchstart.models import Tudui


def test_l1_mse_and_cross_entropy_are_the_course_numbers(lesson_result):
    values = {c.name: (c.torch_value, c.by_hand) for c in lesson_result("losses").losses}
    expected = {"L1Loss()": 0.6667, "L1Loss(reduction='sum')": 2.0, "MSELoss()": 1.3333, "CrossEntropyLoss()": 1.1019}
    assert set(values) == set(expected)
    for name, number in expected.items():
        torch_value, by_hand = values[name]
        assert torch_value == pytest.approx(number, abs=1e-4), name
        assert by_hand == pytest.approx(number, abs=1e-4), name
        assert torch_value == pytest.approx(by_hand, abs=1e-6), name


def test_hand_formulas_written_out():
    # |1−1| + |2−2| + |3−5| = 2 over 3 elements; squares: 0 + 0 + 4 = 4 over 3
    assert l1_by_hand([1, 2, 3], [1, 2, 5]) == pytest.approx(2 / 3)
    assert l1_by_hand([1, 2, 3], [1, 2, 5], "sum") == 2
    assert mse_by_hand([1, 2, 3], [1, 2, 5]) == pytest.approx(4 / 3)
    assert cross_entropy_by_hand([0.1, 0.2, 0.3], 1) == pytest.approx(
        -math.log(math.exp(0.2) / (math.exp(0.1) + math.exp(0.2) + math.exp(0.3))))


def test_hand_cross_entropy_matches_torch_on_random_scores():
    scores = torch.randn(5, 10, generator=torch.Generator().manual_seed(3))
    labels = torch.tensor([0, 3, 9, 3, 7])
    by_hand = sum(cross_entropy_by_hand(row.tolist(), int(y)) for row, y in zip(scores, labels)) / 5
    assert nn.CrossEntropyLoss()(scores, labels).item() == pytest.approx(by_hand, abs=1e-5)


def test_softmax_before_cross_entropy_is_wrong(lesson_result):
    result = lesson_result("losses")
    assert result.confident_ce == pytest.approx(cross_entropy_by_hand(CONFIDENT, 1), abs=1e-6)
    assert result.confident_ce < 1e-3
    # softmax twice: the loss can never go below −1 + log(e + 2) for 3 classes
    assert result.confident_ce_after_softmax == pytest.approx(-1 + math.log(math.e + 2), abs=1e-3)


def test_integer_tensors_are_refused(lesson_result):
    assert "could not infer output dtype" in lesson_result("losses").integer_error


def test_backward_fills_every_gradient(lesson_result):
    b = lesson_result("losses").backward
    assert b.batch_shape == (64, 3, 32, 32)
    assert not b.grad_before_backward
    assert b.conv1_grad_shape == (32, 3, 5, 5)
    assert b.conv1_grad_norm > 0
    assert b.params_with_grad == b.params_total == 10  # 5 layers with weights, each a weight and a bias
    assert b.loss == pytest.approx(math.log(10), abs=0.1)  # untrained: about 1/10 on every class


def test_last_bias_gradient_is_softmax_minus_one_hot():
    # for mean cross-entropy, ∂loss/∂logits = (softmax(logits) − one_hot(label)) / B, and the last layer's
    # bias adds straight into the logits, so its gradient is that summed over the batch
    images, labels = one_batch(batch_size=16)
    torch.manual_seed(0)
    model = Tudui()
    logits = model(images)
    nn.CrossEntropyLoss()(logits, labels).backward()
    by_hand = (torch.softmax(logits.detach(), dim=1) - nn.functional.one_hot(labels, 10)).mean(dim=0)
    torch.testing.assert_close(model.model[-1].bias.grad, by_hand)
    assert images.min() >= 0 and images.max() <= 1
