"""Grad-CAM and feature maps (torchstart.explain, issue #17): checked on a model whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from torchstart.device import seed_everything
from torchstart.errors import ConfigError
from torchstart.explain import explain_image, feature_maps, grad_cam, place_on_image, save_explanation
from torchstart.inference import predict_images
from torchstart.models import Tudui
from torchstart.training.checkpoint import load_checkpoint


def brightness_model() -> nn.Module:
    """Class 1's score is the mean brightness of the image, class 0's its negative: the bright part explains 1."""
    conv = nn.Conv2d(3, 4, 3, padding=1)
    with torch.no_grad():
        conv.weight.fill_(1 / 27)  # each output = the mean of a 3×3×3 patch
        conv.bias.zero_()
        head = nn.Linear(4, 2)
        head.weight.copy_(torch.tensor([[-1.0] * 4, [1.0] * 4]))
        head.bias.zero_()
    return nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), head).eval()


def test_grad_cam_peaks_on_the_bright_square_and_has_the_input_size():
    image = torch.zeros(1, 3, 32, 48)
    image[:, :, 4:12, 30:40] = 1.0  # the "object": rows 4–11, columns 30–39
    cam = grad_cam(brightness_model(), image, class_index=1)
    assert cam.shape == (32, 48) and cam.min() >= 0 and cam.max() == pytest.approx(1.0)
    row, col = np.unravel_index(cam.argmax(), cam.shape)
    assert 4 <= row < 12 and 30 <= col < 40
    assert cam[20:, :20].max() < 0.05  # far from the object: nothing
    assert grad_cam(brightness_model(), image, class_index=0).max() == 0  # class 0 is explained by nothing bright


@pytest.mark.parametrize("resize, covered", [("squash", (0, 100)), ("crop", (20, 80))])
def test_the_map_is_placed_over_the_part_of_the_photo_the_model_saw(resize, covered):
    full = place_on_image(np.ones((32, 32), dtype=np.float32), (100, 60), resize)  # a 100×60 photo
    assert full.shape == (60, 100)
    columns = np.flatnonzero(full.max(axis=0) > 0)
    assert (columns.min(), columns.max() + 1) == covered  # crop: the centre 60×60 square only


def test_feature_maps_of_the_course_model_follow_its_layers():
    seed_everything(0)
    maps = feature_maps(Tudui().eval(), torch.randn(1, 3, 32, 32))
    assert [(m.name, m.shape) for m in maps] == [
        ("conv1", (1, 32, 32, 32)), ("pool1", (1, 32, 16, 16)), ("conv2", (1, 32, 16, 16)),
        ("pool2", (1, 32, 8, 8)), ("conv3", (1, 64, 8, 8)), ("pool3", (1, 64, 4, 4))]
    assert all(m.maps.shape[0] == 8 for m in maps)


def test_explain_image_agrees_with_predict_and_draws_a_png(course_checkpoint, tmp_path):
    photo = tmp_path / "wide.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (60, 100, 3), dtype=np.uint8)).save(photo)
    explanation, image = explain_image(load_checkpoint(course_checkpoint), photo, topk=3, resize="crop")
    predicted = predict_images(course_checkpoint, [photo], topk=3)[0].top
    assert [name for name, _p in explanation.top] == [name for name, _p in predicted]
    np.testing.assert_allclose([p for _n, p in explanation.top], [p for _n, p in predicted], rtol=1e-5)
    assert explanation.target == predicted[0][0] and explanation.heatmap.shape == (60, 100)
    out = save_explanation(explanation, image, tmp_path / "explain.png")
    with Image.open(out) as drawn:
        assert drawn.format == "PNG" and drawn.width > 400


def test_an_unknown_target_class_names_the_classes(course_checkpoint, tmp_path):
    photo = tmp_path / "x.png"
    Image.new("RGB", (32, 32), (200, 10, 10)).save(photo)
    with pytest.raises(ConfigError, match="airplane, automobile"):
        explain_image(load_checkpoint(course_checkpoint), photo, target="unicorn")
