"""Lesson 16 (pretrained): VGG16 parameter counts, the offline weights message, and a short fine-tune."""

import math

import torch
from torchvision.models import MobileNet_V3_Small_Weights, mobilenet_v3_small, vgg16

from torchstart.data.hymenoptera import hymenoptera_root
from torchstart.lessons.pretrained import build_finetune_model, fine_tune, labelled_split, vgg16_counts
from torchstart.models import count_parameters

VGG16 = 138_357_544
FC6 = 4096 * 1000 + 1000  # classifier[6]: weights + biases of the 4096 → 1000 layer


def test_vgg16_counts_with_both_new_heads(lesson_result):
    v = lesson_result("pretrained").vgg16
    assert v.params == VGG16
    assert v.params_add_linear == 138_367_554 == VGG16 + 1000 * 10 + 10  # the appended 1000 → 10 layer
    assert v.params_replace_last == 134_301_514 == VGG16 - FC6 + 4096 * 10 + 10
    assert "(add_linear): Linear(in_features=1000, out_features=10, bias=True)" in v.classifier_tail[-1]


def test_meta_device_counts_match_a_real_build(lesson_result):
    real = vgg16(weights=None)  # ~550 MB of real, randomly initialised float32 tensors
    assert not next(real.parameters()).is_meta
    assert count_parameters(real) == lesson_result("pretrained").vgg16.params
    del real


def test_offline_uses_meta_and_says_which_file_to_get_from_where(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    counts, message = vgg16_counts()
    assert (counts.weights, counts.device) == ("None", "meta")
    assert counts.params == VGG16
    assert "vgg16-397923af.pth" in message
    assert str(tmp_path / "checkpoints") in message
    assert "https://download.pytorch.org/models/vgg16-397923af.pth" in message


def test_folder_names_become_class_indices():
    dataset = labelled_split(hymenoptera_root() / "val", transform=None)
    assert [dataset[i][1] for i in range(len(dataset))] == [0] * 20 + [1] * 20  # ants, then bees


def test_fine_tune_history_is_finite_and_only_the_head_trains(lesson_result):
    tuned = lesson_result("pretrained").fine_tune
    assert (tuned.train_images, tuned.val_images) == (80, 40)
    assert [r.epoch for r in tuned.history] == [1, 2]
    for record in tuned.history:
        assert math.isfinite(record.train_loss) and math.isfinite(record.test_loss)
        assert 0.0 <= record.test_accuracy <= 1.0
        assert record.test_accuracy * 40 == round(record.test_accuracy * 40)  # k correct out of 40 val images
    # classifier = Linear(576, 1024) + Linear(1024, 2); the backbone is frozen
    assert tuned.trainable_params == 576 * 1024 + 1024 + 1024 * 2 + 2
    assert tuned.total_params == count_parameters(build_finetune_model()[0])


def test_fine_tune_model_uses_weights_only_when_cached(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    model, weights = build_finetune_model()
    assert weights == "None"
    # a stand-in "ImageNet" file under the name torchvision looks for (random weights, 1000 classes)
    fake = mobilenet_v3_small(weights=None).state_dict()
    (tmp_path / "checkpoints").mkdir()
    torch.save(fake, tmp_path / "checkpoints" / "mobilenet_v3_small-047dcff4.pth")
    model, weights = build_finetune_model()
    assert weights == str(MobileNet_V3_Small_Weights.DEFAULT)
    torch.testing.assert_close(model.features[0][0].weight, fake["features.0.0.weight"], rtol=0, atol=0)
    assert not any(p.requires_grad for p in model.features.parameters())
    assert model.classifier[3].out_features == 2


def test_the_fine_tune_reports_one_line_per_epoch_while_it_trains():
    lines = []
    tuned = fine_tune(hymenoptera_root(), torch.device("cpu"), epochs=1, report=lines.append)
    (record,) = tuned.history
    assert lines == [f"fine-tune epoch 1/1: train loss {record.train_loss:.4f}, val loss {record.test_loss:.4f}, "
                     f"val accuracy {record.test_accuracy:.1%}"]
