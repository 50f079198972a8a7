"""A NaN/inf loss stops training with the step it happened at and the fix; the last good checkpoint is kept."""

import json

import pytest
import torch
from torch import nn

from torchstart.cli import main
from torchstart.data import TensorLoader, load_sample
from torchstart.errors import TrainingDiverged
from torchstart.models import build_model
from torchstart.training.checkpoint import load_checkpoint
from torchstart.training.engine import STEP_LOG_EVERY, TrainState, fit, train_one_epoch

CPU = torch.device("cpu")


class NanAtCall(nn.Module):
    """Cross-entropy, except the loss of call number `bad` (1-based) is NaN."""

    def __init__(self, bad: int) -> None:
        super().__init__()
        self.bad, self.calls = bad, 0

    def forward(self, logits, labels):
        self.calls += 1
        loss = nn.functional.cross_entropy(logits, labels)
        return loss * float("nan") if self.calls == self.bad else loss


@pytest.fixture(scope="module")
def tiny():
    return load_sample().train.subset(64, seed=0)


@pytest.mark.parametrize("batch_size,bad,start_step", [
    (8, 5, 0),  # 8 steps: found at the end of the epoch
    (8, 3, 100),  # step numbers continue across epochs
    (1, 7, 0),  # 64 steps: found at the periodic check of step STEP_LOG_EVERY, before the epoch ends
])
def test_the_first_non_finite_step_is_named(tiny, batch_size, bad, start_step):
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))  # small: 50 steps take no time
    loss_fn = NanAtCall(bad)
    state = TrainState(model, torch.optim.SGD(model.parameters(), lr=0.01), loss_fn=loss_fn)
    loader = TensorLoader(tiny.images, tiny.labels, batch_size=batch_size)
    with pytest.raises(TrainingDiverged, match=rf"became nan at step {start_step + bad} \(epoch 2\).*--lr"):
        train_one_epoch(state, loader, CPU, epoch=2, start_step=start_step)
    assert loss_fn.calls == (STEP_LOG_EVERY if batch_size == 1 else len(loader))


def test_weights_broken_by_the_last_step_stop_fit_before_the_epoch_is_saved(tiny):
    model = build_model("tudui")
    state = TrainState(model, torch.optim.SGD(model.parameters(), lr=float("nan")))  # the one step → NaN weights
    loader = TensorLoader(tiny.images, tiny.labels, batch_size=64)
    saved = []
    with pytest.raises(TrainingDiverged, match=r"test loss became nan after epoch 1 \(step 1\)"):
        fit(state, loader, loader, CPU, epochs=2, num_classes=10, on_epoch_end=lambda *args: saved.append(args))
    assert saved == []


def test_nan_in_epoch_2_exits_2_with_one_line_and_keeps_epoch_1(tmp_path, monkeypatch, capsys):
    original = TensorLoader.make_batch

    def poisoned(self, idx, draws=None):  # every training image of epoch 2 becomes NaN
        x, y = original(self, idx, draws)
        return (x * float("nan"), y) if self.shuffle and self.epoch == 1 else (x, y)

    monkeypatch.setattr(TensorLoader, "make_batch", poisoned)
    run = tmp_path / "run"
    argv = ["train", "--epochs", "3", "--max-train-images", "256", "--out", str(run), "--quiet", "--device", "cpu"]
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    last = run / "checkpoints" / "last.pt"
    # Fast recipe: 256 images / batch 128 = 2 steps per epoch, so epoch 2 starts at step 3.
    assert "the training loss became nan at step 3 (epoch 2)" in line
    assert "--lr 0.025" in line and f"last good checkpoint (epoch 1) is {last}" in line
    checkpoint = load_checkpoint(last)
    assert checkpoint["epoch"] == 1 and all(t.isfinite().all() for t in checkpoint["model_state"].values())
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "diverged" and [e["epoch"] for e in metrics["epochs"]] == [1]
