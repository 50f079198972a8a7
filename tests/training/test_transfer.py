"""Bring your own images: folder data through `torchstart train`, --weights / --init / --freeze-backbone,
and evaluate / predict with the folder's class names."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import shared_data
from torchstart.cli import main
from torchstart.models import build_model
from torchstart.training.checkpoint import load_checkpoint

COLOURS = {"apples": (220, 40, 40), "grass": (40, 200, 60), "sky": (60, 90, 230)}
HEAD = ["model.8.weight", "model.8.bias"]


def make_photos(root: Path, per_class: int = 12, seed: int = 0) -> Path:
    """root/<class>/<i>.jpg: noisy images in the class's colour — learnable, like a tiny real set."""
    rng = np.random.default_rng(seed)
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(np.array(colour) + rng.normal(0, 40, (36, 48, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:02d}.jpg")
    return root


@pytest.fixture
def photos(tmp_path) -> Path:
    return make_photos(tmp_path / "photos")


def train(*flags: str) -> int:
    return main(["train", "--epochs", "2", "--batch-size", "8", "--quiet", *flags])


def test_folder_training_reports_the_layout_and_learns_the_colours(photos, tmp_path, capsys):
    out = tmp_path / "run"
    assert train("--data-dir", str(photos), "--out", str(out), "--epochs", "4") == 0
    printed = capsys.readouterr().out
    assert "using image folders from" in printed and "flat layout" in printed and "3 classes" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["classes"] == ["apples", "grass", "sky"]
    assert metrics["data"]["train_images"] + metrics["data"]["test_images"] == 36
    assert metrics["best_test_accuracy"] > 0.6  # solid colours: far above the 1/3 of guessing
    checkpoint = load_checkpoint(out / "checkpoints" / "best.pt")
    assert checkpoint["classes"] == ["apples", "grass", "sky"] and checkpoint["input_size"] == [32, 32]


def test_evaluate_and_predict_use_the_folder_classes(photos, tmp_path, capsys):
    out = tmp_path / "run"
    assert train("--data-dir", str(photos), "--out", str(out), "--image-size", "24") == 0
    capsys.readouterr()
    assert main(["evaluate", str(out / "checkpoints" / "last.pt"), "--data-dir", str(photos), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert report["accuracy"] == pytest.approx(metrics["epochs"][-1]["test_accuracy"])  # the same held-out split
    assert set(report["per_class_accuracy"]) == set(COLOURS)
    assert main(["predict", str(out / "checkpoints" / "last.pt"), str(photos / "sky" / "00.jpg"), "--json"]) == 0
    top = json.loads(capsys.readouterr().out)["predictions"][0]["top"]
    assert {entry["class"] for entry in top} == set(COLOURS)


def test_weights_path_with_another_class_count_replaces_the_head_and_freeze_keeps_the_rest(photos, tmp_path):
    source = build_model("tudui", num_classes=10)  # e.g. weights someone trained on CIFAR-10
    torch.save(source.state_dict(), tmp_path / "course.pth")
    out = tmp_path / "run"
    assert train("--data-dir", str(photos), "--out", str(out), "--weights", str(tmp_path / "course.pth"),
                 "--freeze-backbone") == 0
    trained = load_checkpoint(out / "checkpoints" / "last.pt")["model_state"]
    for name, tensor in source.state_dict().items():
        if name in HEAD:
            assert trained[name].shape[0] == 3  # a new 3-class head
        else:
            assert torch.equal(trained[name], tensor), f"{name} changed although the backbone was frozen"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["trained_parameters"] == HEAD and metrics["trained_parameter_count"] == 64 * 3 + 3
    assert "head replaced" in metrics["start"] and "backbone frozen" in metrics["start"]


def test_init_from_a_cifar_checkpoint_starts_from_its_weights(photos, tmp_path, trained_run):
    cifar = load_checkpoint(trained_run / "checkpoints" / "best.pt")
    out = tmp_path / "run"
    assert train("--data-dir", str(photos), "--out", str(out), "--init", str(trained_run / "checkpoints" / "best.pt"),
                 "--freeze-backbone", "--epochs", "1") == 0
    trained = load_checkpoint(out / "checkpoints" / "last.pt")["model_state"]
    assert torch.equal(trained["model.0.weight"], cifar["model_state"]["model.0.weight"])
    assert trained["model.8.weight"].shape == (3, 64)
    # without freezing, every layer moves away from the CIFAR weights
    assert train("--data-dir", str(photos), "--out", str(tmp_path / "all"), "--init",
                 str(trained_run / "checkpoints" / "best.pt"), "--epochs", "1") == 0
    moved = load_checkpoint(tmp_path / "all" / "checkpoints" / "last.pt")["model_state"]
    assert not torch.equal(moved["model.0.weight"], cifar["model_state"]["model.0.weight"])


@pytest.mark.parametrize("flags, message", [
    (["--model", "resnet18", "--weights", "DEFAULT"], "resnet18-f37072fd.pth"),
    (["--weights", "DEFAULT"], "has no pretrained weights"),
    (["--init", "x.pt", "--weights", "y.pt"], "--init and --weights both"),
    (["--val-fraction", "1.5"], "--val-fraction must be between 0 and 1"),
    (["--freeze-backbone"], "would train a head on random features"),
])
def test_impossible_starts_are_one_line_exit_2(photos, tmp_path, capsys, monkeypatch, flags, message):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))  # an empty torch cache
    assert train("--data-dir", str(photos), "--out", str(tmp_path / "run"), *flags) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_weights_of_another_architecture_or_model_are_refused(photos, tmp_path, capsys, trained_run):
    torch.save({"conv.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    assert train("--data-dir", str(photos), "--out", str(tmp_path / "a"), "--weights", str(tmp_path / "other.pth")) == 2
    assert "does not fit this model" in capsys.readouterr().err
    assert train("--data-dir", str(photos), "--out", str(tmp_path / "b"), "--model", "mobilenet_v3_small",
                 "--image-size", "32", "--init", str(trained_run / "checkpoints" / "best.pt")) == 2
    assert "holds a 'tudui' model" in capsys.readouterr().err


@pytest.mark.realdata
@pytest.mark.slow
def test_ants_and_bees_from_scratch_beat_guessing(tmp_path):
    out = tmp_path / "ants"
    assert main(["train", "--data-dir", str(shared_data("hymenoptera_data")), "--image-size", "64",
                 "--batch-size", "16", "--epochs", "8", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["classes"] == ["ants", "bees"] and metrics["data"]["test_images"] == 153
    assert metrics["best_test_accuracy"] > 83 / 153 + 0.05  # majority class (bees) is 54.2 %
