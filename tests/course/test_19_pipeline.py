"""Lesson 19 (pipeline): the course's train.py, read from the executed script, and the same weights as engine.fit."""

import math
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from torchstart.course import find_chapter
from torchstart.course.literate import cells
from torchstart.course_import import import_course_model
from torchstart.training.engine import TrainState, evaluate, fit

STEPS_PER_EPOCH = math.ceil(2000 / 64)  # the embedded sample: 2,000 training images, batches of 64 → 32 steps


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(19).namespace


@pytest.fixture(scope="module")
def workdir(ns) -> Path:
    return Path(ns["__file__"]).parent  # the folder the script ran in: its logs and .pth files


def test_the_course_settings(ns):
    assert (ns["train_data_size"], ns["test_data_size"]) == (2000, 500)
    assert ns["learning_rate"] == 0.01 and ns["epoch"] == 10
    assert ns["train_dataloader"].batch_size == ns["test_dataloader"].batch_size == 64
    assert ns["optimizer"].defaults["momentum"] == 0 and isinstance(ns["optimizer"], torch.optim.SGD)
    assert ns["output"].shape == (64, 10)  # model.py's check on a batch of ones
    assert sum(p.numel() for p in ns["tudui"].parameters()) == 145_578
    assert ns["total_train_step"] == 10 * STEPS_PER_EPOCH
    assert [row["epoch"] for row in ns["history"]] == list(range(1, 11)) and ns["total_test_step"] == 10


def test_the_loss_is_printed_every_100_steps_in_the_epoch_it_belongs_to(ns):
    printed = ns["printed_losses"]
    assert [step for _epoch, step, _loss in printed] == [100, 200, 300]
    assert all(epoch == (step - 1) // STEPS_PER_EPOCH + 1 for epoch, step, _loss in printed)  # epochs 4, 7, 10
    assert all(0 < loss < 5 for _epoch, _step, loss in printed)


def test_the_test_pass_counts_correct_images(ns):
    for row in ns["history"]:
        assert isinstance(row["correct"], int) and 0 <= row["correct"] <= 500
        assert row["test_accuracy"] == row["correct"] / 500
        # the course's number adds one mean per batch: 8 batches (7 of 64, one of 52) ≈ 8 × the mean per image
        assert row["total_test_loss"] == pytest.approx(math.ceil(500 / 64) * row["test_loss"], rel=0.02)


def test_the_loss_falls_and_the_model_learns_something(ns):
    history = ns["history"]
    assert history[-1]["test_loss"] < history[0]["test_loss"] - 0.02
    assert all(later["test_loss"] < earlier["test_loss"] for earlier, later in zip(history, history[1:]))
    assert history[-1]["correct"] > 50  # 10 classes × 50 test images: one class for all gives 50


def test_tensorboard_holds_what_the_course_logs(ns):
    logged, history = ns["logged"], ns["history"]
    assert sorted(logged) == ["test_accuracy", "test_loss", "train_loss"]
    printed = ns["printed_losses"]
    assert [step for step, _value in logged["train_loss"]] == [step for _epoch, step, _loss in printed]
    assert [value for _step, value in logged["train_loss"]] == pytest.approx([loss for _epoch, _step, loss in printed])
    assert [step for step, _value in logged["test_accuracy"]] == list(range(10))  # total_test_step: from 0
    assert [value for _step, value in logged["test_accuracy"]] == pytest.approx([r["test_accuracy"] for r in history])
    assert [value for _step, value in logged["test_loss"]] == pytest.approx([r["test_loss"] for r in history])


def test_one_state_dict_per_epoch_and_it_loads_back(ns, workdir):
    assert sorted(p.name for p in workdir.glob("*.pth")) == sorted(f"tudui_{e}.pth" for e in range(1, 11))
    last = torch.load(workdir / "tudui_10.pth", weights_only=True)
    assert set(last) == set(ns["tudui"].state_dict())
    assert all(torch.equal(value.cpu(), ns["tudui"].state_dict()[name].cpu()) for name, value in last.items())
    assert ns["same_outputs"] is True


def test_the_saved_weights_become_a_checkpoint_predict_reads(workdir, tmp_path):
    checkpoint = import_course_model(workdir / "tudui_10.pth", tmp_path / "model.pt")
    assert checkpoint["normalization"] == {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0]}  # ToTensor only
    assert checkpoint["resize"] == "squash"  # photos become 32×32 as the course's test.py makes them


def test_the_course_loop_gives_the_weights_engine_fit_gives(ns, workdir):
    """One epoch from the script's seed, data and settings by engine.fit: the weights the script saved after epoch 1."""
    device = ns["device"]
    torch.manual_seed(0)  # as the script does before `tudui = Tudui()`
    model = ns["Tudui"]().to(device)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    train_loader = DataLoader(ns["train_data"], batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    test_loader = DataLoader(ns["test_data"], batch_size=64)
    history = fit(TrainState(model, torch.optim.SGD(model.parameters(), lr=0.01)), train_loader, test_loader, device,
                  epochs=1, num_classes=10)
    assert history.step == STEPS_PER_EPOCH
    course = torch.load(workdir / "tudui_1.pth", weights_only=True)
    assert any(not torch.equal(start[k], v) for k, v in model.state_dict().items())  # it did train
    for name, value in course.items():
        torch.testing.assert_close(value, model.state_dict()[name], rtol=0, atol=1e-6, msg=name)
    # and the course's test pass measures what engine.evaluate measures
    first = ns["history"][0]
    result = evaluate(model, test_loader, device, 10)
    assert history.epochs[0].test_accuracy == result.accuracy == first["test_accuracy"]
    assert result.loss == pytest.approx(first["test_loss"], abs=1e-5)


def test_the_chinese_view_has_the_same_code_with_chinese_comments():
    chapter = find_chapter(19)  # read, not run again: both views execute the same code cells
    zh, en = ("\n".join(c.source for c in cells(chapter, lang) if c.kind == "code") for lang in ("zh", "en"))
    assert "改动：shuffle=True" in zh and "changed: shuffle=True" not in zh and "changed: shuffle=True" in en

    def code(text):
        return [line.split("#")[0].rstrip() for line in text.splitlines() if not line.lstrip().startswith("#")]

    assert code(zh) == code(en)
