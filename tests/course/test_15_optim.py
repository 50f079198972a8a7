"""Lesson 15 (optim): chapter 十五's plain loop equals torchstart.fit, what a tensor running_loss keeps alive, the
loss falls with every optimiser from the same start, and SGD's rule by hand equals torch's."""

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from torchstart.training.engine import TrainState, fit

# Autograd nodes of one Tudui batch's loss: 3 ConvolutionBackward0, 3 MaxPool2DWithIndicesBackward0, ViewBackward0
# (Flatten), 2 × (AddmmBackward0 + TBackward0) for the Linear layers, LogSoftmaxBackward0, NllLossBackward0 — and
# the AddBackward0 of `running_loss = running_loss + result_loss`. The 10 AccumulateGrad nodes (one per
# parameter) are shared by all batches.
NODES_PER_BATCH = 3 + 3 + 1 + 2 * 2 + 1 + 1 + 1
PARAMETER_NODES = 10


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(15).namespace


def test_backward_adds_to_grad(ns):
    assert ns["w"].grad.tolist() == [4.0, 4.0, 4.0]


def test_chapter_15s_loop_runs_the_course_settings_and_the_loss_falls(ns, lesson_run):
    assert (len(ns["dataset"]), len(ns["dataloader"]), len(ns["running_losses"])) == (384, 6, 3)
    assert ns["optim"].defaults["lr"] == 0.001 and ns["dataloader"].batch_size == 64
    # running_loss sums 6 batch means, each near ln 10 for an untrained 10-class model
    assert all(abs(v - 6 * math.log(10)) < 0.1 for v in ns["running_losses"])
    assert ns["running_losses"] == sorted(ns["running_losses"], reverse=True)  # falls every epoch, if slowly
    assert ns["mean_loss_drop"] == pytest.approx((ns["running_losses"][0] - ns["running_losses"][-1]) / 6)
    assert 0 < ns["mean_loss_drop"] < 0.001  # "less than a thousandth"
    printed = "".join(run.output for run in lesson_run(15).cells)
    assert [f"epoch {e}: running_loss={v:.4f}" in printed for e, v in enumerate(ns["running_losses"], 1)] == [True] * 3


def test_a_tensor_running_loss_keeps_every_batch_graph_and_item_keeps_none(ns):
    printed = repr(ns["running_loss"])
    assert printed.startswith("tensor(") and printed.endswith(", grad_fn=<AddBackward0>)")
    assert ns["batch_graphs"] == 3
    assert ns["node_counts"] == [PARAMETER_NODES + NODES_PER_BATCH * k for k in (1, 2, 3)] == [24, 38, 52]
    assert isinstance(ns["running_float"], float)
    assert math.isclose(ns["running_loss"].item(), ns["running_float"], rel_tol=1e-6)  # the same sum, no graph


def test_graph_nodes_of_a_small_expression(ns):
    w = torch.ones(2, requires_grad=True)
    assert ns["graph_nodes"](((w * 2).sum()).detach()) == set()  # detached: no graph
    assert len(ns["graph_nodes"]((w * 2).sum())) == 3  # SumBackward0 → MulBackward0 → AccumulateGrad


def test_the_course_loop_and_torchstart_fit_give_the_same_weights(ns):
    """One production loop: chapter 十五's plain torch loop and torchstart.fit take the same steps."""
    by_fit = ns["Tudui"]()
    by_fit.load_state_dict(ns["start"])
    fit(TrainState(by_fit, torch.optim.SGD(by_fit.parameters(), lr=0.001)), ns["dataloader"], ns["dataloader"],
        torch.device("cpu"), epochs=3, num_classes=10)
    by_course = ns["tudui"].state_dict()
    for name, weight in by_course.items():
        assert not torch.equal(weight, ns["start"][name]), name  # both really trained
        torch.testing.assert_close(weight, by_fit.state_dict()[name], rtol=0, atol=1e-7, msg=name)


def test_every_optimiser_lowers_the_training_loss(ns):
    histories = ns["histories"]
    assert list(histories) == ["SGD", "SGD + momentum", "Adam"]
    assert (len(ns["train_set"]), len(ns["test_set"])) == (384, 200)
    for name, h in histories.items():
        assert len(h["train_losses"]) == len(h["test_accuracies"]) == 3 and len(h["step_losses"]) == 18
        assert h["train_losses"][-1] < h["train_losses"][0], name
        assert all(0.0 <= a <= 1.0 for a in h["test_accuracies"])
        assert h["train_losses"] == pytest.approx([sum(h["step_losses"][6 * e:6 * e + 6]) / 6 for e in range(3)])
    # from random weights the first epoch starts near the loss of a uniform guess over 10 classes
    assert abs(histories["SGD"]["train_losses"][0] - math.log(10)) < 0.1
    sgd, momentum, adam = (h["train_losses"][-1] for h in histories.values())
    assert adam < momentum < sgd  # in so few steps, the faster optimisers are clearly ahead


def test_all_optimisers_start_from_the_same_weights_and_batches(ns):
    first = set(ns["first_losses"].values())
    assert len(first) == 1
    # the same number from the kept weights `start` on the first batch of the same seeded shuffle
    model = ns["Tudui"]()
    model.load_state_dict(ns["start"])
    loader = DataLoader(ns["train_set"], batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    imgs, targets = next(iter(loader))
    assert nn.CrossEntropyLoss()(model(imgs), targets).item() == first.pop()


def test_hand_written_sgd_step_equals_torch(ns):
    assert ns["sgd_step_diff"] < 1e-6
    assert ns["momentum_step_diff"] < 1e-6


def test_sgd_step_by_hand_on_numbers_you_can_check(ns):
    sgd_step_by_hand = ns["sgd_step_by_hand"]
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


def test_the_chinese_view_gives_the_same_numbers_with_chinese_comments(lesson_run):
    zh, en = lesson_run(15, "zh").namespace, lesson_run(15).namespace
    assert zh["running_losses"] == en["running_losses"]  # same seeds, same numbers
    assert zh["histories"] == en["histories"]
    sources = "\n".join(run.cell.source for run in lesson_run(15, "zh").cells)
    assert "记下初始权重" in sources and "keep the starting weights" not in sources
