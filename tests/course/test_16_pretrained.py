"""Lesson 16 (pretrained): VGG16's parameter counts, the offline weights check, and a short fine-tune."""

import math
from pathlib import Path

import pytest
import torch
from torch import nn
from torchvision.models import MobileNet_V3_Small_Weights, VGG16_Weights, mobilenet_v3_small, vgg16

from torchstart.course import find_chapter
from torchstart.course.literate import cells

VGG16 = 138_357_544
FC6 = 4096 * 1000 + 1000  # classifier[6]: weights + biases of the 4096 → 1000 layer


@pytest.fixture(scope="module")
def run(lesson_run):
    return lesson_run(16)


@pytest.fixture(scope="module")
def ns(run):
    return run.namespace



def test_vgg16_counts_with_both_new_heads(ns):
    assert ns["parameters"] == VGG16 == VGG16_Weights.DEFAULT.meta["num_params"]
    assert ns["parameters_add_linear"] == 138_367_554 == VGG16 + 1000 * 10 + 10  # the appended 1000 → 10 layer
    assert ns["parameters_replace_last"] == 134_301_514 == VGG16 - FC6 + 4096 * 10 + 10
    tail = str(ns["vgg16"].classifier).splitlines()[-3:-1]
    assert tail == ["  (6): Linear(in_features=4096, out_features=1000, bias=True)",
                    "  (add_linear): Linear(in_features=1000, out_features=10, bias=True)"]
    assert ns["train_data"].classes[9] == "truck" and len(ns["train_data"].classes) == 10


def test_meta_device_counts_match_a_real_build(ns):
    real = vgg16(weights=None)  # ~550 MB of real, randomly initialised float32 tensors
    assert not next(real.parameters()).is_meta
    assert sum(p.numel() for p in real.parameters()) == ns["parameters"]
    del real
    if not ns["vgg16_cached"]:
        assert next(ns["vgg16"].features.parameters()).is_meta and ns["device"].type == "meta"


def test_offline_says_which_file_to_get_from_where(run, ns):
    expected = Path(torch.hub.get_dir()) / "checkpoints" / "vgg16-397923af.pth"
    assert ns["vgg16_file"] == expected and ns["vgg16_cached"] == expected.exists()
    if not ns["vgg16_cached"]:
        assert run.output_of("vgg16_file = ").splitlines()[1:] == [
            "missing: vgg16-397923af.pth", "download: https://download.pytorch.org/models/vgg16-397923af.pth",
            f"put it in: {expected.parent}"]


def test_the_cache_check_follows_torch_hub(ns, monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert ns["weights_file"](VGG16_Weights.DEFAULT) == tmp_path / "checkpoints" / "vgg16-397923af.pth"


def test_fine_tune_model_uses_weights_when_cached(ns, monkeypatch, tmp_path):
    """The lesson's check finds a file put in the cache, and torchvision then loads it instead of downloading."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    weights = MobileNet_V3_Small_Weights.DEFAULT
    path = ns["weights_file"](weights)
    assert path.name == "mobilenet_v3_small-047dcff4.pth" and not path.exists()
    fake = mobilenet_v3_small(weights=None).state_dict()  # a stand-in "ImageNet" file: random, 1000 classes
    path.parent.mkdir()
    torch.save(fake, path)
    assert ns["weights_file"](weights).exists()
    model = mobilenet_v3_small(weights=weights)
    torch.testing.assert_close(model.features[0][0].weight, fake["features.0.0.weight"], rtol=0, atol=0)


def test_folder_names_become_class_indices(ns):
    assert ns["train_dataset"].class_to_idx == {"ants": 0, "bees": 1}
    assert ns["val_dataset"].targets == [0] * 20 + [1] * 20  # ants, then bees
    assert (len(ns["train_files"]), len(ns["train_dataset"]), len(ns["val_dataset"])) == (80, 79, 40)
    assert ns["skipped"] == ["imageNotFound.gif"]  # the placeholder GIF of the course's data set
    assert ns["img"].shape == (3, 112, 112)


def test_only_the_head_trains(ns):
    model = ns["model"]
    assert not any(p.requires_grad for p in model.features.parameters())
    assert model.classifier[3].out_features == 2
    # classifier = Linear(576, 1024) + Linear(1024, 2); the backbone is frozen
    assert ns["trainable_parameters"] == 592_898 == 576 * 1024 + 1024 + 1024 * 2 + 2
    fresh = mobilenet_v3_small(weights=None)
    fresh.classifier[3] = nn.Linear(1024, 2)
    assert ns["total_parameters"] == 1_519_906 == sum(p.numel() for p in fresh.parameters())
    assert [id(p) for p in ns["optimizer"].param_groups[0]["params"]] == [id(p) for p in ns["trainable"]]


def test_fine_tune_history_is_finite_and_printed_once_per_epoch(run, ns):
    history = ns["history"]
    assert [r["epoch"] for r in history] == [1, 2]
    for record in history:
        assert math.isfinite(record["train_loss"]) and math.isfinite(record["val_loss"])
        assert record["val_accuracy"] * 40 == round(record["val_accuracy"] * 40)  # k correct out of 40
    lines = [line for line in run.output_of("history = []").splitlines() if line.startswith("epoch")]
    assert lines == [f"epoch {r['epoch']}: train loss {r['train_loss']:.4f}, val loss {r['val_loss']:.4f}, "
                     f"val accuracy {r['val_accuracy']:.1%}" for r in history]


def test_a_random_backbone_leaves_the_head_at_chance(ns):
    if ns["mobilenet_cached"]:
        pytest.skip("ImageNet weights are cached: the backbone is not random")
    assert ns["features"].shape == (8, 576) and ns["feature_size"] < 0.1  # features shrink to almost nothing
    for record in ns["history"]:
        assert record["val_accuracy"] == 0.5 and abs(record["val_loss"] - math.log(2)) < 0.01


def test_each_view_keeps_its_own_comments():
    chapter = find_chapter(16)
    zh = "\n".join(c.source for c in cells(chapter, "zh") if c.kind == "code")
    en = "\n".join(c.source for c in cells(chapter, "en") if c.kind == "code")
    assert "torchvision 把下载的权重放在这里" in zh and "where torchvision keeps" not in zh
    assert "where torchvision keeps" in en and "权重" not in en
