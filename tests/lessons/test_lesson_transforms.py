"""Lesson 6 (transforms): each transform checked against a hand computation or torch, the course's Compose and
Normalize claim, Resize's interpolation, RGBA, v2 and TensorBoard."""

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torchvision import transforms
from torchvision.transforms import v2

from torchstart.data.images import open_rgb
from torchstart.lessons import transforms as lesson
from torchstart.lessons._shared import sample_image_path
from torchstart.lessons.transforms import course_compose, interpolations, rgba_version


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


def test_the_course_compose_without_to_tensor_is_a_type_error_and_to_tensor_fixes_it(lesson_result, pixels):
    result = lesson_result("transforms")
    assert result.course_compose_error.startswith("img should be Tensor Image. Got <class 'PIL.Image")
    assert result.course_compose_fixed.shape == (3, 224, 224) and result.course_compose_fixed.dtype == "float32"
    # ImageNet's mean and std: a pixel of 0 goes to −mean/std, a pixel of 1 to (1 − mean)/std
    lowest = min(-m / s for m, s in zip(lesson.IMAGENET_MEAN, lesson.IMAGENET_STD))
    highest = max((1 - m) / s for m, s in zip(lesson.IMAGENET_MEAN, lesson.IMAGENET_STD))
    assert lowest - 1e-3 <= result.course_compose_fixed.min < result.course_compose_fixed.max <= highest + 1e-3
    error, fixed = course_compose(Image.fromarray(pixels))
    assert error == result.course_compose_error and fixed.shape == (3, 224, 224)


def test_normalize_half_does_not_make_mean_and_std_one_half(lesson_result, pixels):
    result = lesson_result("transforms")
    x = torch.from_numpy(pixels).permute(2, 0, 1).float() / 255
    before, half, own = result.channels_before, result.channels_half, result.channels_own
    torch.testing.assert_close(torch.tensor(before.mean), x.mean(dim=(1, 2)))
    torch.testing.assert_close(torch.tensor(before.std), x.std(dim=(1, 2)))
    # out = (x − 0.5) / 0.5 = 2x − 1: the mean becomes 2m − 1 and the std 2s, whatever they were
    torch.testing.assert_close(torch.tensor(half.mean), 2 * torch.tensor(before.mean) - 1)
    torch.testing.assert_close(torch.tensor(half.std), 2 * torch.tensor(before.std))
    assert all(abs(m - 0.5) > 0.1 for m in half.mean) and all(abs(s - 0.5) > 0.1 for s in half.std)
    # standardising with the image's own mean and std is what gives mean 0 and std 1
    assert max(abs(m) for m in own.mean) < 1e-5 and max(abs(s - 1) for s in own.std) < 1e-5


def test_resize_bilinear_versus_nearest(lesson_result, pixels):
    result = lesson_result("transforms")
    assert result.interpolation_size == (3, *lesson.SMALL)
    assert 0 < result.bilinear_vs_nearest_mean < result.bilinear_vs_nearest_max <= 255
    bilinear, nearest = interpolations(Image.fromarray(pixels))
    levels = ((bilinear - nearest).abs() * 255).round()
    assert float(levels.mean()) == pytest.approx(result.bilinear_vs_nearest_mean)
    # nearest copies source pixels; bilinear (antialiased) averages, so most of its colours are new
    colours = {tuple(p) for p in pixels.reshape(-1, 3).tolist()}
    nearest_px, bilinear_px = ([tuple(p) for p in (t.permute(1, 2, 0) * 255).round().int().reshape(-1, 3).tolist()]
                               for t in (nearest, bilinear))
    assert all(p in colours for p in nearest_px)
    assert sum(p not in colours for p in bilinear_px) > len(bilinear_px) // 4


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
    assert {"ToTensor", "Normalize", "Resize", "Compose", "RGBA_as_RGB", "Resize_bilinear", "Resize_nearest"} <= set(
        result.tags)
    resized = events.Images("Resize")[0]
    assert (resized.height, resized.width) == (512, 512)
