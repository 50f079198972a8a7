"""Lesson 6 (transforms): each transform checked against a hand computation or torch, RGBA, v2 and TensorBoard."""

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torchvision import transforms
from torchvision.transforms import v2

from torchstart.data.images import open_rgb
from torchstart.lessons._shared import sample_image_path
from torchstart.lessons.transforms import rgba_version


@pytest.fixture(scope="module")
def pixels():
    return np.array(Image.open(sample_image_path()).convert("RGB"))  # (H, W, 3) uint8, writable


def test_to_tensor_is_chw_float_in_0_1(lesson_result, pixels):
    result = lesson_result("transforms")
    h, w, _ = pixels.shape
    assert result.to_tensor.shape == (3, h, w) and result.to_tensor.dtype == "float32"
    assert result.to_tensor.min == pixels.min() / 255 and result.to_tensor.max == pixels.max() / 255
    x = transforms.ToTensor()(Image.fromarray(pixels))
    expected = torch.from_numpy(pixels).permute(2, 0, 1).float() / 255  # HWC → CHW, 0–255 → 0–1
    torch.testing.assert_close(x, expected, rtol=0, atol=1e-7)


def test_normalize_half_maps_to_minus_one_one(lesson_result, pixels):
    result = lesson_result("transforms")
    assert -1 <= result.normalized.min < -0.9 and 0.9 < result.normalized.max <= 1
    assert result.normalized.min == pytest.approx(2 * result.to_tensor.min - 1)
    x = torch.rand(3, 5, 7)
    torch.testing.assert_close(transforms.Normalize([0.5] * 3, [0.5] * 3)(x), 2 * x - 1)


def test_sizes_of_resize_and_crops(lesson_result, pixels):
    result = lesson_result("transforms")
    h, w, _ = pixels.shape
    assert result.resize_square == (3, 512, 512)
    short, long = sorted((h, w))
    assert result.resize_short_side == (3, 100, int(100 * long / short))  # w > h in the sample photo
    assert result.center_crop == (3, 100, 100)
    assert result.random_crop == (3, 64, 64)
    top, left = result.random_crop_corner
    assert 0 <= top <= h - 64 and 0 <= left <= w - 64
    assert result.compose.shape == (3, 32, int(32 * long / short))
    assert -1 <= result.compose.min < result.compose.max <= 1


def test_crops_are_the_right_windows(lesson_result, pixels):
    x = transforms.ToTensor()(Image.fromarray(pixels))
    h, w = x.shape[1:]
    top, left = int(round((h - 100) / 2)), int(round((w - 100) / 2))
    assert torch.equal(transforms.CenterCrop(100)(x), x[:, top:top + 100, left:left + 100])
    top, left = lesson_result("transforms").random_crop_corner
    torch.manual_seed(0)  # the lesson's SEED: the same draw gives the same window
    assert torch.equal(transforms.RandomCrop(64)(x), x[:, top:top + 64, left:left + 64])


def test_flips_equal_torch_flip(lesson_result, pixels):
    result = lesson_result("transforms")
    assert result.hflip_equals_torch_flip and result.vflip_equals_torch_flip
    x = transforms.ToTensor()(Image.fromarray(pixels))
    assert torch.equal(transforms.RandomHorizontalFlip(p=1)(x), x[:, :, range(x.shape[2] - 1, -1, -1)])
    assert not torch.equal(transforms.RandomHorizontalFlip(p=1)(x), x)


def test_rgba_png_error_and_fix(lesson_result, pixels):
    result = lesson_result("transforms")
    h, w = result.to_tensor.shape[1:]
    with Image.open(result.rgba_png) as png:
        assert png.mode == "RGBA"
    assert result.rgba_shape == (4, h, w)
    assert "must match the size of tensor b (3)" in result.rgba_normalize_error
    assert "expected input[1, 4" in result.four_channel_conv_error and "3 channels" in result.four_channel_conv_error
    assert result.rgb_shape == (3, h, w)
    # open_rgb puts the image over white: the transparent left column is white, the opaque right one unchanged
    fixed = np.asarray(open_rgb(result.rgba_png))
    assert (fixed[:, 0] == 255).all()
    np.testing.assert_array_equal(fixed[:, -1], pixels[:, -1])


def test_rgba_version_fades_alpha_left_to_right():
    rgba = np.asarray(rgba_version(Image.new("RGB", (11, 4), (10, 20, 30))))  # PIL size is (W, H)
    assert rgba.shape == (4, 11, 4)  # (H, W, R G B A)
    assert rgba[0, 0, 3] == 0 and rgba[0, -1, 3] == 255 and (rgba[..., :3] == (10, 20, 30)).all()


def test_v2_gives_the_same_numbers(lesson_result, pixels):
    result = lesson_result("transforms")
    assert result.v2_to_tensor_diff < 1e-6 and result.v2_normalize_diff < 1e-6
    img = Image.fromarray(pixels)
    classic = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])(img)
    new = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)])(img)
    torch.testing.assert_close(torch.as_tensor(new), classic)
    assert "v2.ToDtype(torch.float32, scale=True)" in result.v2_names["ToTensor()"]


def test_transformed_images_are_in_tensorboard(lesson_result):
    result = lesson_result("transforms")
    events = EventAccumulator(str(result.log_dir), size_guidance={"images": 0})
    events.Reload()
    assert sorted(events.Tags()["images"]) == sorted(result.tags)
    assert {"ToTensor", "Normalize", "Resize", "Compose", "RGBA_as_RGB"} <= set(result.tags)
    resized = events.Images("Resize")[0]
    assert (resized.height, resized.width) == (512, 512)
