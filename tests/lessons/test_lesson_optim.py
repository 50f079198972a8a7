"""Lesson 15 (optim): the loss falls with every optimiser from the same start, and SGD's rule by hand equals torch's."""

import math

import torch
from torch import nn

from torchstart.data import load_sample
from torchstart.lessons.optim import compare_optimizers, sgd_step_by_hand, weights_fingerprint
from torchstart.models import Tudui


def test_every_optimiser_lowers_the_training_loss(lesson_result):
    result = lesson_result("optim")
    assert [r.name for r in result.runs] == ["SGD", "SGD + momentum", "Adam"]
    assert (result.train_images, result.test_images, result.batch_size) == (384, 200, 64)
    for r in result.runs:
        assert len(r.train_losses) == len(r.test_accuracies) == result.epochs == 3
        assert r.train_losses[-1] < r.train_losses[0], r.name
        assert all(0.0 <= a <= 1.0 for a in r.test_accuracies)
    # from random weights the first epoch starts near the loss of a uniform guess over 10 classes
    assert abs(result.runs[0].train_losses[0] - math.log(10)) < 0.1
    sgd, momentum, adam = (r.train_losses[-1] for r in result.runs)
    assert adam < momentum < sgd  # in so few steps, the faster optimisers are clearly ahead


def test_all_optimisers_start_from_identical_weights(lesson_result):
    fingerprints = {r.start_weights for r in lesson_result("optim").runs}
    assert len(fingerprints) == 1
    torch.manual_seed(123)
    assert weights_fingerprint(Tudui()) not in fingerprints  # other weights, other fingerprint


def test_hand_written_sgd_step_equals_torch(lesson_result):
    result = lesson_result("optim")
    assert result.sgd_step_diff < 1e-6
    assert result.momentum_step_diff < 1e-6


def test_sgd_step_by_hand_on_numbers_you_can_check():
    model = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 2.0]]))
    model.weight.grad = torch.tensor([[0.5, -1.0]])
    sgd_step_by_hand(model, {}, lr=0.1)
    torch.testing.assert_close(model.weight.detach(), torch.tensor([[0.95, 2.1]]))  # p − 0.1·grad
    # momentum 0.9 + weight decay 0.1, two steps with the same gradient:
    # d1 = g + 0.1·p0, buf1 = d1, p1 = p0 − lr·buf1; d2 = g + 0.1·p1, buf2 = 0.9·buf1 + d2, p2 = p1 − lr·buf2
    buffers = {}
    p0, g = model.weight.detach().clone(), model.weight.grad.clone()
    sgd_step_by_hand(model, buffers, lr=0.1, momentum=0.9, weight_decay=0.1)
    sgd_step_by_hand(model, buffers, lr=0.1, momentum=0.9, weight_decay=0.1)
    buf1 = g + 0.1 * p0
    p1 = p0 - 0.1 * buf1
    p2 = p1 - 0.1 * (0.9 * buf1 + g + 0.1 * p1)
    torch.testing.assert_close(model.weight.detach(), p2)


def test_same_seed_same_numbers():
    data = load_sample()
    train, test = data.train.subset(64, 1), data.test.subset(64, 1)

    def losses():
        runs = compare_optimizers(train, test, torch.device("cpu"), epochs=1, batch_size=32, seed=5)
        return [(r.start_weights, r.train_losses, r.test_accuracies) for r in runs]

    assert losses() == losses()
