"""Lesson 19 (pipeline): the course's train → test → TensorBoard → save, through the engine."""

import math

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from torchstart.lessons.pipeline import BATCH_SIZE, EPOCHS
from torchstart.training.checkpoint import load_checkpoint


def test_loss_falls_and_accuracy_beats_guessing(lesson_result):
    result = lesson_result("pipeline")
    assert [row.epoch for row in result.epochs] == list(range(1, EPOCHS + 1))
    assert result.steps == EPOCHS * math.ceil(2000 / BATCH_SIZE)
    assert result.epochs[-1].train_loss < result.epochs[0].train_loss
    assert result.epochs[-1].test_accuracy > 0.2  # 10 classes: guessing gives 0.1


def test_one_loadable_checkpoint_per_epoch(lesson_result):
    result = lesson_result("pipeline")
    assert [p.name for p in result.checkpoints] == [f"tudui_{e}.pt" for e in range(1, EPOCHS + 1)]
    last = load_checkpoint(result.checkpoints[-1])
    assert last["epoch"] == EPOCHS and last["test_accuracy"] == result.epochs[-1].test_accuracy
    assert last["normalization"] == {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}  # ToTensor only


def test_tensorboard_holds_the_test_accuracy_of_every_epoch(lesson_result):
    result = lesson_result("pipeline")
    events = EventAccumulator(str(result.tb_dir))
    events.Reload()
    logged = [(s.step, s.value) for s in events.Scalars("test_accuracy")]
    assert [step for step, _ in logged] == list(range(1, EPOCHS + 1))
    assert all(abs(value - row.test_accuracy) < 1e-6 for (_, value), row in zip(logged, result.epochs))
    assert {"train_loss", "test_loss"} <= set(events.Tags()["scalars"])
