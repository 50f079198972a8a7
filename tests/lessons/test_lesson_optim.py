"""Lesson 15 (optim): chapter 十五's plain loop equals engine.fit, what a tensor running_loss keeps alive, the loss
falls with every optimiser from the same start, and SGD's rule by hand equals torch's."""

import copy
import math

import torch
from torch import nn
from torch.utils.data import DataLoader

from torchstart.data import CifarDataset, load_sample
from torchstart.device import seed_everything
from torchstart.i18n import using
from torchstart.lessons.optim import (
    BATCH,
    COURSE_LR,
    SEED,
    TRAIN_IMAGES,
    compare_optimizers,
    course_loop,
    describe,
    graph_nodes,
    sgd_step_by_hand,
    weights_fingerprint,
)
from torchstart.models import Tudui
from torchstart.training.engine import TrainState, fit

# Autograd nodes of one Tudui batch's loss: 3 ConvolutionBackward0, 3 MaxPool2DWithIndicesBackward0, ViewBackward0
# (Flatten), 2 × (AddmmBackward0 + TBackward0) for the Linear layers, LogSoftmaxBackward0, NllLossBackward0 — and
# the AddBackward0 of `running_loss += result_loss`. The 10 AccumulateGrad nodes (one per parameter) are shared.
NODES_PER_BATCH = 3 + 3 + 1 + 2 * 2 + 1 + 1 + 1
PARAMETER_NODES = 10


def test_chapter_15s_loop_runs_the_course_settings_and_the_loss_falls(lesson_result):
    loop = lesson_result("optim").course_loop
    assert (loop.images, loop.batches, len(loop.running_losses)) == (384, 6, 3)
    # running_loss sums 6 batch means, each near ln 10 for an untrained 10-class model
    assert all(abs(v - 6 * math.log(10)) < 0.1 for v in loop.running_losses)
    assert loop.running_losses == sorted(loop.running_losses, reverse=True)  # falls every epoch, if slowly


def test_a_tensor_running_loss_keeps_every_batch_graph_and_item_keeps_none(lesson_result):
    loop = lesson_result("optim").course_loop
    assert loop.printed.startswith("tensor(") and loop.printed.endswith(", grad_fn=<AddBackward0>)")
    assert loop.batch_graphs == 3
    assert loop.graph_nodes == [PARAMETER_NODES + NODES_PER_BATCH * k for k in (1, 2, 3)] == [24, 38, 52]
    assert math.isclose(loop.tensor_sum, loop.float_sum, rel_tol=1e-6)  # the same number, without the graph


def test_graph_nodes_of_a_small_expression():
    w = torch.ones(2, requires_grad=True)
    assert graph_nodes(((w * 2).sum()).detach()) == (0, 0)  # detached: no graph
    assert graph_nodes((w * 2).sum()) == (3, 0)  # SumBackward0 → MulBackward0 → AccumulateGrad


def test_the_course_loop_and_engine_fit_give_the_same_weights():
    """One production loop: chapter 十五's plain torch loop and engine.fit take the same steps, bit for bit."""
    data = load_sample()
    train, test = data.train.subset(TRAIN_IMAGES, SEED), data.test.subset(64, SEED)
    loader = DataLoader(CifarDataset(train), batch_size=BATCH)  # the lesson's: ToTensor pixels, no shuffle
    seed_everything(SEED)
    by_course = Tudui()
    by_fit = copy.deepcopy(by_course)
    start = copy.deepcopy(by_course.state_dict())
    course_loop(by_course, loader, epochs=1, lr=COURSE_LR)
    fit(TrainState(by_fit, torch.optim.SGD(by_fit.parameters(), lr=COURSE_LR)), loader,
        DataLoader(CifarDataset(test), batch_size=BATCH), torch.device("cpu"), epochs=1, num_classes=10)
    for name, weight in by_course.state_dict().items():
        assert not torch.equal(weight, start[name]), name  # both really trained
        torch.testing.assert_close(weight, by_fit.state_dict()[name], rtol=0, atol=1e-7, msg=name)


def test_the_course_loop_reports_one_line_per_epoch():
    train = load_sample().train.subset(64, 1)
    lines = []
    sums = course_loop(Tudui(), DataLoader(CifarDataset(train), batch_size=32), epochs=2, report=lines.append)
    assert lines == [f"course loop epoch {e}/2: running_loss {v:.4f}" for e, v in zip((1, 2), sums)]


def test_the_lesson_reads_in_chinese(lesson_result):
    with using("zh"):
        text = describe(lesson_result("optim"))
    assert "第十五章" in text and "优化器" in text and "动量" in text
    assert "optimiser" not in text and "train loss per epoch" not in text and "keeps the graphs" not in text


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


def test_same_seed_same_numbers_and_one_progress_line_per_epoch():
    data = load_sample()
    train, test = data.train.subset(64, 1), data.test.subset(64, 1)
    lines = []

    def losses():
        runs = compare_optimizers(train, test, torch.device("cpu"), epochs=1, batch_size=32, seed=5,
                                  report=lines.append)
        return [(r.start_weights, r.train_losses, r.test_accuracies) for r in runs]

    assert losses() == losses()
    assert [line.split(" epoch ")[0] for line in lines] == ["SGD", "SGD + momentum", "Adam"] * 2
    assert all(" epoch 1/1: train loss " in line for line in lines)
