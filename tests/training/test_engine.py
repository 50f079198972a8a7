import pytest
import torch
from torch import nn

from torchstart.data import TensorLoader, load_sample
from torchstart.errors import TrainingDiverged
from torchstart.models import build_model
from torchstart.training.engine import TrainState, evaluate, fit, train_one_epoch

CPU = torch.device("cpu")


class Recorder:
    def __init__(self):
        self.points = []

    def log_scalar(self, tag, value, step):
        self.points.append((tag, value, step))

    def flush(self):
        pass

    def close(self):
        pass


@pytest.fixture(scope="module")
def tiny():
    split = load_sample().train.subset(64, seed=0)
    return split


def test_loss_falls_when_overfitting_64_images(tiny):
    torch.manual_seed(0)
    model = build_model("tudui")
    state = TrainState(model, torch.optim.Adam(model.parameters(), lr=1e-3))
    loader = TensorLoader(tiny.images, tiny.labels, batch_size=16, shuffle=True, std=(0.25,) * 3, mean=(0.5,) * 3)
    losses = []
    for epoch in range(30):
        loader.set_epoch(epoch)
        loss, images, steps = train_one_epoch(state, loader, CPU)
        losses.append(loss)
        assert (images, steps) == (64, 4)
    assert losses[-1] < 0.2 * losses[0]
    train_eval = evaluate(model, loader, CPU, 10)
    assert train_eval.accuracy > 0.95


def test_evaluate_matches_a_hand_computed_loss_and_accuracy(tiny):
    torch.manual_seed(1)
    model = build_model("tudui").eval()
    loader = TensorLoader(tiny.images, tiny.labels, batch_size=10)  # 64 = 6×10 + 4: uneven batches
    result = evaluate(model, loader, CPU, 10)
    x = tiny.images.permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        logits = model(x)
    assert result.loss == pytest.approx(nn.functional.cross_entropy(logits, tiny.labels).item(), rel=1e-5)
    assert result.accuracy == pytest.approx((logits.argmax(1) == tiny.labels).float().mean().item())
    assert result.num_images == 64 and result.confusion.sum(dim=1).tolist() == torch.bincount(
        tiny.labels, minlength=10).tolist()
    per_class = result.per_class_accuracy
    assert len(per_class) == 10 and all(0 <= a <= 1 for a in per_class)


def test_fit_returns_a_history_and_logs_every_epoch(tiny):
    torch.manual_seed(0)
    model = build_model("tudui")
    state = TrainState(model, torch.optim.SGD(model.parameters(), lr=0.01))
    loader = TensorLoader(tiny.images, tiny.labels, batch_size=16, shuffle=True)
    tracker, seen = Recorder(), []
    history = fit(state, loader, loader, CPU, epochs=3, num_classes=10, tracker=tracker,
                  on_epoch_end=lambda record, result, h: seen.append(record.epoch))
    assert seen == [1, 2, 3] and [e.epoch for e in history.epochs] == [1, 2, 3] and history.step == 12
    e = history.epochs[-1]
    assert e.train_images == 64 and e.train_images_per_s > 0 and 0 <= e.test_accuracy <= 1
    assert e.elapsed_seconds == pytest.approx(sum(r.epoch_seconds for r in history.epochs))
    assert history.best_test_accuracy == max(r.test_accuracy for r in history.epochs)
    tags = {(tag, step) for tag, _, step in tracker.points}
    assert {("train_loss", 3), ("test_loss", 3), ("test_accuracy", 3), ("lr", 3)} <= tags


def test_fit_continues_a_history(tiny):
    model = build_model("tudui")
    state = TrainState(model, torch.optim.SGD(model.parameters(), lr=0.01))
    loader = TensorLoader(tiny.images, tiny.labels, batch_size=32)
    history = fit(state, loader, loader, CPU, epochs=1, num_classes=10)
    history = fit(state, loader, loader, CPU, epochs=2, num_classes=10, history=history)
    assert [e.epoch for e in history.epochs] == [1, 2] and history.step == 4


def test_diverging_loss_stops_with_a_clear_message(tiny):
    model = build_model("tudui")
    state = TrainState(model, torch.optim.SGD(model.parameters(), lr=1e6))
    loader = TensorLoader(tiny.images, tiny.labels, batch_size=8)
    with pytest.raises(TrainingDiverged, match="lower the learning rate"):
        for _ in range(10):
            train_one_epoch(state, loader, CPU)


def test_bf16_autocast_path_runs_on_cpu(tiny):
    model = build_model("tudui")
    state = TrainState(model, torch.optim.SGD(model.parameters(), lr=0.01), amp_dtype=torch.bfloat16)
    loader = TensorLoader(tiny.images, tiny.labels, batch_size=32)
    loss, _, _ = train_one_epoch(state, loader, CPU)
    assert 1.5 < loss < 3.5
    assert evaluate(model, loader, CPU, 10, amp_dtype=torch.bfloat16).num_images == 64
