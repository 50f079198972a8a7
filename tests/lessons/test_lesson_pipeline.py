"""Lesson 19 (pipeline): the course's train.py in plain torch, and the same weights as engine.fit."""

import copy
import math

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn
from torch.utils.tensorboard import SummaryWriter

from torchstart.data import find_cifar10
from torchstart.i18n import using
from torchstart.lessons.pipeline import (
    BATCH_SIZE,
    COURSE_EPOCHS,
    EPOCHS,
    LEARNING_RATE,
    LOG_EVERY,
    check_on_test_set,
    describe,
    make_loaders,
    run,
    train_epoch,
)
from torchstart.models import Tudui
from torchstart.training.checkpoint import load_checkpoint
from torchstart.training.engine import TrainState, evaluate, fit

STEPS_PER_EPOCH = math.ceil(2000 / BATCH_SIZE)  # the embedded sample: 2,000 training images


def test_the_course_settings_are_the_defaults(lesson_result):
    result = lesson_result("pipeline")
    assert (BATCH_SIZE, LEARNING_RATE, LOG_EVERY) == (64, 0.01, 100)
    assert result.epochs_run == EPOCHS == COURSE_EPOCHS == 10
    assert [row.epoch for row in result.epochs] == list(range(1, EPOCHS + 1))
    assert result.steps == EPOCHS * STEPS_PER_EPOCH
    assert (result.train_size, result.test_size) == (2000, 500)


def test_the_loss_is_printed_every_100_steps_in_the_epoch_it_belongs_to(lesson_result):
    result = lesson_result("pipeline")
    logged = [(row.epoch, step) for row in result.epochs for step, _loss in row.step_losses]
    assert [step for _epoch, step in logged] == list(range(LOG_EVERY, result.steps + 1, LOG_EVERY))
    assert all(epoch == (step - 1) // STEPS_PER_EPOCH + 1 for epoch, step in logged)
    assert all(0 < loss < 5 for row in result.epochs for _step, loss in row.step_losses)


def test_the_test_pass_counts_correct_images(lesson_result):
    for row in lesson_result("pipeline").epochs:
        assert isinstance(row.test_correct, int) and 0 <= row.test_correct <= 500
        assert row.test_accuracy == row.test_correct / 500
        # the course's number adds one mean per batch: 8 batches (7 of 64, one of 52) ≈ 8 × the mean per image
        assert row.test_loss_sum == pytest.approx(math.ceil(500 / BATCH_SIZE) * row.test_loss, rel=0.02)


def test_the_loss_falls_and_the_model_learns_something(lesson_result):
    epochs = lesson_result("pipeline").epochs
    assert epochs[-1].test_loss < epochs[0].test_loss - 0.02
    assert all(later.test_loss < earlier.test_loss for earlier, later in zip(epochs, epochs[1:]))
    assert epochs[-1].test_correct > 50  # 10 classes × 50 test images: one class for all gives 50


def test_one_loadable_checkpoint_per_epoch(lesson_result):
    result = lesson_result("pipeline")
    assert [p.name for p in result.checkpoints] == [f"tudui_{e}.pt" for e in range(1, EPOCHS + 1)]
    last = load_checkpoint(result.checkpoints[-1])
    assert last["epoch"] == EPOCHS and last["test_accuracy"] == result.epochs[-1].test_accuracy
    assert last["normalization"] == {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}  # ToTensor only
    assert last["resize"] == "squash"  # photos become 32×32 as the course's test.py makes them


def test_tensorboard_holds_what_the_course_logs(lesson_result):
    result = lesson_result("pipeline")
    events = EventAccumulator(str(result.tb_dir))
    events.Reload()
    printed = [pair for row in result.epochs for pair in row.step_losses]
    assert [s.step for s in events.Scalars("train_loss")] == [step for step, _loss in printed]
    assert [s.value for s in events.Scalars("train_loss")] == pytest.approx([loss for _step, loss in printed])
    accuracy = [(s.step, s.value) for s in events.Scalars("test_accuracy")]
    assert [step for step, _value in accuracy] == list(range(EPOCHS))  # the course's total_test_step: from 0
    assert [value for _step, value in accuracy] == pytest.approx([row.test_accuracy for row in result.epochs])
    assert [s.value for s in events.Scalars("test_loss")] == pytest.approx([row.test_loss for row in result.epochs])


def test_the_course_loop_gives_the_weights_engine_fit_gives(tmp_path):
    """One epoch on the same data, seed and settings: the lesson's loop and the production loop agree."""
    data = find_cifar10(None)
    cpu = torch.device("cpu")
    torch.manual_seed(0)
    ours = Tudui()
    engines = copy.deepcopy(ours)
    start = copy.deepcopy(ours.state_dict())
    train_loader, test_loader = make_loaders(data)
    with SummaryWriter(str(tmp_path)) as writer:
        steps = train_epoch(ours, train_loader, nn.CrossEntropyLoss(), torch.optim.SGD(ours.parameters(),
                            lr=LEARNING_RATE), cpu, writer)
    state = TrainState(engines, torch.optim.SGD(engines.parameters(), lr=LEARNING_RATE))
    history = fit(state, *make_loaders(data), cpu, epochs=1, num_classes=10)
    assert steps == history.step == STEPS_PER_EPOCH
    assert any(not torch.equal(start[k], v) for k, v in ours.state_dict().items())  # it did train
    for name, value in ours.state_dict().items():
        torch.testing.assert_close(value, engines.state_dict()[name], rtol=0, atol=1e-6, msg=name)
    # and the course's test pass measures what engine.evaluate measures
    _loss_sum, loss_mean, correct = check_on_test_set(ours, test_loader, nn.CrossEntropyLoss(), cpu)
    engine_result = evaluate(engines, make_loaders(data)[1], cpu, 10)
    assert correct / 500 == engine_result.accuracy
    assert loss_mean == pytest.approx(engine_result.loss, abs=1e-5)


def test_progress_is_reported_per_epoch_and_at_each_loss_print(tmp_path):
    lines = []
    result = run(out=tmp_path, epochs=4, report=lines.append)  # 128 steps: the loss is printed once, at 100
    assert [line.split(":")[0] for line in lines] == ["epoch 1/4", "epoch 2/4", "epoch 3/4", "step 100", "epoch 4/4"]
    assert lines[3] == f"step 100: loss {result.epochs[3].step_losses[0][1]:.4f}"
    assert f"{result.epochs[3].test_correct}/500 test images correct" in lines[4]


def test_describe_shows_the_changes_and_speaks_chinese(lesson_result):
    result = lesson_result("pipeline")
    english = describe(result)
    assert "shuffle=True" in english and "mean per image" in english and "state_dict" in english
    assert "SGD with lr 0.01 and no momentum, batch 64" in english
    with using("zh"):
        chinese = describe(result)
    assert "训练集：2,000 张图" in chinese and "有意改动" in chinese and "第 10/10 轮" in chinese
    assert "shuffle=True" in chinese  # code stays code
