"""Lesson 14 (losses): torch's losses equal the hand formulas; backward() fills the course model's gradients."""

import math

import pytest
import torch
from torch import nn


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(14).namespace


def test_l1_mse_and_cross_entropy_are_the_course_numbers(ns):
    assert ns["result"].item() == pytest.approx(0.6667, abs=1e-4)
    assert ns["result_sum"].item() == 2.0
    assert ns["result_mse"].item() == pytest.approx(1.3333, abs=1e-4)
    assert ns["result_cross"].item() == pytest.approx(1.1019, abs=1e-4)
    assert ns["cross_by_hand"] == pytest.approx(ns["result_cross"].item(), abs=1e-6)
    expected = {"L1Loss()": 0.6667, "L1Loss(reduction='sum')": 2.0, "MSELoss()": 1.3333}
    assert set(ns["l1_checks"]) == set(expected)
    for name, number in expected.items():
        torch_value, by_hand = ns["l1_checks"][name]
        assert torch_value == pytest.approx(number, abs=1e-4), name
        assert by_hand == pytest.approx(torch_value, abs=1e-6), name


def test_hand_formulas_written_out(ns):
    # |1−1| + |2−2| + |3−5| = 2 over 3 elements; squares: 0 + 0 + 4 = 4 over 3
    assert ns["l1_by_hand"]([1, 2, 3], [1, 2, 5]) == pytest.approx(2 / 3)
    assert ns["l1_by_hand"]([1, 2, 3], [1, 2, 5], "sum") == 2
    assert ns["mse_by_hand"]([1, 2, 3], [1, 2, 5]) == pytest.approx(4 / 3)
    assert ns["cross_entropy_by_hand"]([0.1, 0.2, 0.3], 1) == pytest.approx(
        -math.log(math.exp(0.2) / (math.exp(0.1) + math.exp(0.2) + math.exp(0.3))))


def test_hand_cross_entropy_matches_torch_on_random_scores(ns):
    scores = torch.randn(5, 10, generator=torch.Generator().manual_seed(3))
    labels = torch.tensor([0, 3, 9, 3, 7])
    by_hand = sum(ns["cross_entropy_by_hand"](row.tolist(), int(y)) for row, y in zip(scores, labels)) / 5
    assert nn.CrossEntropyLoss()(scores, labels).item() == pytest.approx(by_hand, abs=1e-5)


def test_softmax_before_cross_entropy_is_wrong(ns):
    assert ns["confident_ce"] == pytest.approx(ns["cross_entropy_by_hand"]([0.0, 10.0, 0.0], 1), abs=1e-6)
    assert ns["confident_ce"] < 1e-3
    # softmax twice: the loss can never go below −1 + log(e + 2) for 3 classes
    assert ns["confident_ce_after_softmax"] == pytest.approx(-1 + math.log(math.e + 2), abs=1e-3)


def test_integer_tensors_are_refused(ns):
    assert "could not infer output dtype" in ns["integer_error"]


def test_a_column_against_a_row_broadcasts_to_a_wrong_number(ns):
    # (3, 1) − (3,) is a 3×3 table of differences: 0+1+16 + 1+0+9 + 4+1+4 = 36 over 9 cells
    assert ns["wrong_shape"].item() == 4.0 != ns["result_mse"].item()
    assert len(ns["caught"]) == 1 and "different to the input size" in str(ns["caught"][0].message)


def test_backward_fills_every_gradient(ns):
    assert ns["imgs"].shape == (64, 3, 32, 32) and ns["outputs"].shape == (64, 10)
    assert ns["imgs"].min() >= 0 and ns["imgs"].max() <= 1  # ToTensor's pixels
    assert ns["grad_before_backward"] is None
    conv1_grad = ns["tudui"].model[0].weight.grad
    assert conv1_grad.shape == (32, 3, 5, 5) and conv1_grad.norm() > 0
    assert ns["params_with_grad"] == len(ns["params"]) == 10  # 5 layers with weights, each a weight and a bias
    assert ns["result_loss"].item() == pytest.approx(math.log(10), abs=0.1)  # untrained: about 1/10 per class


def test_last_bias_gradient_is_softmax_minus_one_hot(ns):
    # for mean cross-entropy, ∂loss/∂logits = (softmax(logits) − one_hot(label)) / B, and the last layer's
    # bias adds straight into the logits, so its gradient is that summed over the batch
    logits = ns["outputs"].detach()
    by_hand = (torch.softmax(logits, dim=1) - nn.functional.one_hot(ns["targets"], 10)).mean(dim=0)
    torch.testing.assert_close(ns["tudui"].model[-1].bias.grad, by_hand)


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(14, "zh")
    assert zh.namespace["result_loss"].item() == lesson_run(14).namespace["result_loss"].item()
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "一批 64 张" in sources and "one batch of 64, once" not in sources
