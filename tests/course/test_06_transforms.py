"""Lesson 6 (transforms): each transform checked against a hand computation or torch, the course's Compose and
Normalize claim, Resize's interpolation, the RGBA PNG, v2 and TensorBoard — from the executed script."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torchvision import transforms
from torchvision.transforms import v2

import torchstart
from torchstart.course import find_chapter
from torchstart.course.literate import cells

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(6).namespace


@pytest.fixture(scope="module")
def workdir(ns):
    return Path(ns["__file__"]).parent  # the folder the script ran in


@pytest.fixture(scope="module")
def pixels():
    photo = torchstart.sample("hymenoptera") / "train" / "ants" / "0013035.jpg"
    return np.array(Image.open(photo).convert("RGB"))  # (H, W, 3) uint8, writable


def test_to_tensor_is_chw_float_in_0_1(ns, pixels):
    h, w, _ = pixels.shape
    x = ns["img_tensor"]
    assert x.shape == (3, h, w) == (3, 149, 224) and x.dtype == torch.float32
    assert x.min().item() == pixels.min() / 255 and x.max().item() == pixels.max() / 255
    expected = torch.from_numpy(pixels).permute(2, 0, 1).float() / 255  # HWC → CHW, 0–255 → 0–1
    torch.testing.assert_close(x, expected, rtol=0, atol=1e-7)


def test_normalize_half_maps_to_minus_one_one(ns):
    norm, x = ns["img_norm"], ns["img_tensor"]
    assert -1 <= norm.min().item() < -0.9 and 0.9 < norm.max().item() <= 1
    torch.testing.assert_close(norm, 2 * x - 1)
    y = torch.rand(3, 5, 7)
    torch.testing.assert_close(ns["trans_norm"](y), 2 * y - 1)


def test_normalize_half_does_not_make_mean_and_std_one_half(ns, pixels):
    x = torch.from_numpy(pixels).permute(2, 0, 1).float() / 255
    torch.testing.assert_close(ns["mean"], x.mean(dim=(1, 2)))
    torch.testing.assert_close(ns["std"], x.std(dim=(1, 2)))
    assert ns["mean"].tolist() == pytest.approx([0.346, 0.578, 0.854], abs=1e-3)
    # out = (x − 0.5) / 0.5 = 2x − 1: the mean becomes 2m − 1 and the std 2s, whatever they were
    torch.testing.assert_close(ns["half_mean"], 2 * ns["mean"] - 1)
    torch.testing.assert_close(ns["half_std"], 2 * ns["std"])
    assert (ns["half_mean"] - 0.5).abs().min() > 0.1 and (ns["half_std"] - 0.5).abs().min() > 0.1
    # standardising with the image's own mean and std is what gives mean 0 and std 1
    assert ns["own_mean"].abs().max() < 1e-5 and (ns["own_std"] - 1).abs().max() < 1e-5


def test_the_course_compose_without_to_tensor_is_a_type_error_and_to_tensor_fixes_it(ns):
    assert ns["course_compose_error"] == "img should be Tensor Image. Got <class 'PIL.Image.Image'>"
    fixed = ns["img_fixed"]
    assert fixed.shape == (3, 224, 224) and fixed.dtype == torch.float32
    # ImageNet's mean and std: a pixel of 0 goes to −mean/std, a pixel of 1 to (1 − mean)/std
    lowest = min(-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD))
    highest = max((1 - m) / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD))
    assert lowest - 1e-3 <= fixed.min().item() < fixed.max().item() <= highest + 1e-3
    assert (round(fixed.min().item(), 3), round(fixed.max().item(), 3)) == (-2.118, 2.64)
    assert [type(t) for t in ns["transform"].transforms] == [transforms.Resize, transforms.RandomHorizontalFlip,
                                                             transforms.ToTensor, transforms.Normalize]


def test_resize_bilinear_versus_nearest(ns, pixels):
    assert ns["img_bilinear"].shape == ns["img_nearest"].shape == (3, 32, 32)
    assert 0 < ns["bilinear_vs_nearest_mean"] < ns["bilinear_vs_nearest_max"] <= 255
    assert (round(ns["bilinear_vs_nearest_mean"], 1), ns["bilinear_vs_nearest_max"]) == (4.8, 115)
    # nearest copies source pixels; bilinear (antialiased) averages, so most of its colours are new
    colours = {tuple(p) for p in pixels.reshape(-1, 3).tolist()}
    nearest_px, bilinear_px = ([tuple(p) for p in (t.permute(1, 2, 0) * 255).round().int().reshape(-1, 3).tolist()]
                               for t in (ns["img_nearest"], ns["img_bilinear"]))
    assert all(p in colours for p in nearest_px)
    assert sum(p not in colours for p in bilinear_px) > len(bilinear_px) // 4


def test_sizes_of_resize_and_crops(ns, pixels):
    h, w, _ = pixels.shape
    assert ns["img_resize"].size == (512, 512) and ns["img_resize_tensor"].shape == (3, 512, 512)
    short, long = sorted((h, w))
    assert ns["img_short"].shape == (3, 100, int(100 * long / short)) == (3, 100, 150)  # w > h in the photo
    assert ns["img_center"].shape == (3, 100, 100)
    assert ns["img_random"].shape == (3, 64, 64)
    top, left = ns["random_crop_corner"]
    assert 0 <= top <= h - 64 and 0 <= left <= w - 64 and (top, left) == (56, 73)
    assert ns["img_compose"].shape == (3, 32, int(32 * long / short)) == (3, 32, 48)
    assert -1 <= ns["img_compose"].min().item() < ns["img_compose"].max().item() <= 1


def test_crops_are_the_right_windows(ns):
    x = ns["img_tensor"]
    h, w = x.shape[1:]
    top, left = int(round((h - 100) / 2)), int(round((w - 100) / 2))
    assert torch.equal(ns["img_center"], x[:, top:top + 100, left:left + 100])
    top, left = ns["random_crop_corner"]
    assert torch.equal(ns["img_random"], x[:, top:top + 64, left:left + 64])
    torch.manual_seed(0)  # the script's seed: the same draw gives the same window
    assert torch.equal(transforms.RandomCrop(64)(x), ns["img_random"])


def test_flips_equal_torch_flip(ns):
    assert ns["hflip_equals_torch_flip"] is True and ns["vflip_equals_torch_flip"] is True
    x = ns["img_tensor"]
    assert torch.equal(ns["img_hflip"], x[:, :, range(x.shape[2] - 1, -1, -1)])
    assert torch.equal(ns["img_vflip"], x[:, range(x.shape[1] - 1, -1, -1)])
    assert not torch.equal(ns["img_hflip"], x)


def test_rgba_png_error_and_fix(ns, workdir, pixels):
    h, w, _ = pixels.shape
    with Image.open(workdir / "ant_rgba.png") as png:
        assert png.mode == "RGBA"
        alpha = np.asarray(png)[..., 3]
    assert (alpha[:, 0] == 0).all() and (alpha[:, -1] == 255).all() and (np.diff(alpha[0].astype(int)) >= 0).all()
    assert ns["png_tensor"].shape == (4, h, w)
    assert ns["rgba_normalize_error"] == ("The size of tensor a (4) must match the size of tensor b (3) "
                                          "at non-singleton dimension 0")
    assert "expected input[1, 4, 149, 224] to have 3 channels, but got 4 channels" in ns["four_channel_conv_error"]
    assert ns["rgb_tensor"].shape == (3, h, w)
    # over white: the transparent left column is white, the opaque right one unchanged
    fixed = np.asarray(ns["png_rgb"])
    assert (fixed[:, 0] == 255).all()
    np.testing.assert_array_equal(fixed[:, -1], pixels[:, -1])


def test_v2_gives_the_same_numbers(ns, pixels):
    assert ns["v2_to_tensor_diff"] < 1e-6 and ns["v2_normalize_diff"] < 1e-6
    assert ns["v2_differences"] == {"Resize((512, 512))": 0.0, "CenterCrop(100)": 0.0,
                                    "RandomHorizontalFlip(p=1.0)": 0.0, "RandomVerticalFlip(p=1.0)": 0.0}
    img = Image.fromarray(pixels)
    classic = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])(img)
    new = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.5] * 3)])(img)
    torch.testing.assert_close(torch.as_tensor(new), classic)


def test_transformed_images_are_in_tensorboard(ns, workdir):
    assert len(list((workdir / "logs").glob("events.out.tfevents.*"))) == 1
    events = EventAccumulator(str(workdir / "logs"), size_guidance={"images": 0})
    events.Reload()
    assert sorted(events.Tags()["images"]) == sorted(ns["shown"]) == sorted(ns["shapes"])
    assert {"ToTensor", "Normalize", "Resize", "Compose", "RGBA_as_RGB", "Resize_bilinear", "Resize_nearest"} <= set(
        ns["shown"])
    resized = events.Images("Resize")[0]
    assert (resized.height, resized.width) == (512, 512)
    assert ns["shapes"]["Compose"] == (3, 32, 48) and ns["shapes"]["Resize_nearest"] == (3, 32, 32)


def test_the_chinese_view_keeps_the_chinese_comments():
    sources = "\n".join(cell.source for cell in cells(find_chapter(6), "zh") if cell.kind == "code")
    assert "# 课程漏掉的一步" in sources and "the step the course misses" not in sources
