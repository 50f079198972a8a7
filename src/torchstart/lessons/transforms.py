"""Lesson 6 — transforms (课程第六章：transforms).

中文：在蚂蚁/蜜蜂样例的一张照片上依次使用 `torchvision.transforms`：ToTensor 把 (H, W, C) 的 0–255 图像变成
(C, H, W)、取值在 [0, 1] 的浮点张量；Normalize(0.5, 0.5) 把它映射到 [-1, 1]；Resize、CenterCrop、
RandomCrop 改变尺寸；水平/垂直翻转与 `torch.flip` 完全一致；Compose 把几步串起来。然后复现课程里
透明 PNG（RGBA，4 个通道）的问题：3 通道的 Normalize 在 4 通道张量上报错——先转成 RGB 就好了。
再看课程里的三个说法：课程的 `Compose([Resize, RandomHorizontalFlip, Normalize])` 少了 ToTensor，用在 PIL 图片上会报
TypeError（在 Normalize 前加上 ToTensor 就好）；课程说 Normalize([0.5]*3, [0.5]*3) 让每个通道的均值变成 0.5、
标准差变成 0.5——其实它只是把 [0, 1] 映射到 [-1, 1]，out = (x − 0.5) / 0.5，本课算出真实照片变换前后每个通道的
均值和标准差，并和用照片自己的均值、标准差做标准化（≈0 和 ≈1）对比；Resize 默认的双线性插值（带抗锯齿）和
最近邻插值在同一张图上差多少。最后给出 `torchvision.transforms.v2` 里对应的写法，核对它和旧接口结果相同，
并像课程一样把变换后的图像写进 TensorBoard。

English: apply `torchvision.transforms` to a photo from the ants/bees sample: ToTensor turns an
(H, W, C) 0–255 image into a (C, H, W) float tensor in [0, 1]; Normalize(0.5, 0.5) maps it to [-1, 1];
Resize, CenterCrop and RandomCrop change its size; the horizontal and vertical flips equal `torch.flip`;
Compose chains steps. Then it reproduces the course's transparent-PNG problem (RGBA, 4 channels): a
3-channel Normalize fails on a 4-channel tensor — converting to RGB first fixes it. Three of the course's
statements are checked: its `Compose([Resize, RandomHorizontalFlip, Normalize])` has no ToTensor and raises a
TypeError on a PIL image (ToTensor before Normalize fixes it); its claim that Normalize([0.5]*3, [0.5]*3)
gives every channel mean 0.5 and std 0.5 is not true — it maps [0, 1] to [-1, 1], out = (x − 0.5) / 0.5 —
shown with the real per-channel mean and std of the photo before and after, next to standardising with the
photo's own mean and std (≈0 and ≈1); and how far Resize's default bilinear interpolation (antialiased) is
from nearest on the same image. Finally it names the `torchvision.transforms.v2` equivalents, checks they
give the same numbers as the classic API, and writes the transformed images to TensorBoard as the course does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.tensorboard import SummaryWriter
from torchvision import transforms
from torchvision.transforms import InterpolationMode, v2

from ..data.images import open_rgb
from ..files import writable_dir
from ..i18n import _
from ._shared import error_text, sample_image_path
from .runner import lesson_main

SEED = 0  # fixes RandomCrop's position so every run crops the same window
HALF = [0.5, 0.5, 0.5]  # the course's mean and std per channel: (x − 0.5) / 0.5 maps [0, 1] to [-1, 1]
IMAGENET_MEAN = [0.485, 0.456, 0.406]  # the values in the course's Compose: ImageNet's channel means and stds
IMAGENET_STD = [0.229, 0.224, 0.225]
SMALL = (32, 32)  # the size the course's test.py resizes to, where the interpolation shows most

# Classic transform → its torchvision.transforms.v2 spelling (v2 also transforms boxes and masks with the image).
V2_NAMES = {
    "ToTensor()": "v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])",
    "Normalize(mean, std)": "v2.Normalize(mean, std)",
    "Resize(size)": "v2.Resize(size)",
    "CenterCrop(size)": "v2.CenterCrop(size)",
    "RandomCrop(size)": "v2.RandomCrop(size)",
    "RandomHorizontalFlip(p)": "v2.RandomHorizontalFlip(p)",
    "RandomVerticalFlip(p)": "v2.RandomVerticalFlip(p)",
    "Compose([...])": "v2.Compose([...])",
}


@dataclass
class Stats:
    shape: tuple[int, ...]
    dtype: str
    min: float
    max: float


@dataclass
class Channels:
    mean: list[float]  # per channel R, G, B
    std: list[float]


@dataclass
class Result:
    source: Path
    to_tensor: Stats  # (3, H, W) float32 in [0, 1]
    normalized: Stats  # the same in [-1, 1]
    channels_before: Channels  # the photo after ToTensor
    channels_half: Channels  # after Normalize(HALF, HALF): mean 2m − 1 and std 2s, not 0.5 and 0.5
    channels_own: Channels  # after Normalize(own mean, own std): ≈ 0 and ≈ 1
    resize_square: tuple[int, ...]  # Resize((512, 512)): exactly that size
    resize_short_side: tuple[int, ...]  # Resize(100): the short side becomes 100, the aspect ratio stays
    center_crop: tuple[int, ...]
    random_crop: tuple[int, ...]
    random_crop_corner: tuple[int, int]  # (top, left) RandomCrop picked with SEED
    hflip_equals_torch_flip: bool  # RandomHorizontalFlip(p=1) vs torch.flip(x, dims=[2])
    vflip_equals_torch_flip: bool  # RandomVerticalFlip(p=1) vs torch.flip(x, dims=[1])
    compose: Stats  # Resize(32) → ToTensor → Normalize in one call
    course_compose_error: str  # the course's Compose without ToTensor, on a PIL image: a TypeError
    course_compose_fixed: Stats  # the same with ToTensor before Normalize
    interpolation_size: tuple[int, ...]  # Resize(SMALL) with either interpolation
    bilinear_vs_nearest_mean: float  # mean |bilinear − nearest| in pixel levels 0–255
    bilinear_vs_nearest_max: int
    rgba_png: Path
    rgba_shape: tuple[int, ...]  # ToTensor of the RGBA PNG: 4 channels
    rgba_normalize_error: str  # what a 3-channel Normalize says about those 4 channels
    four_channel_conv_error: str  # the course's 4-value Normalize runs, but a 3-channel conv then refuses
    rgb_shape: tuple[int, ...]  # after open_rgb: 3 channels, Normalize works
    v2_names: dict[str, str]
    v2_to_tensor_diff: float  # max |v2 − classic| for ToTensor
    v2_normalize_diff: float
    log_dir: Path
    tags: list[str]


def stats(x: torch.Tensor) -> Stats:
    return Stats(tuple(x.shape), str(x.dtype).removeprefix("torch."), float(x.min()), float(x.max()))


def channels(x: torch.Tensor) -> Channels:
    """Mean and standard deviation of each channel of a (3, H, W) tensor."""
    return Channels(x.mean(dim=(1, 2)).tolist(), x.std(dim=(1, 2)).tolist())


def course_compose(img: Image.Image) -> tuple[str, torch.Tensor]:
    """The course's Compose (chapter 六) as written, and fixed: Normalize works on tensors, not PIL images."""
    as_written = transforms.Compose([transforms.Resize((224, 224)), transforms.RandomHorizontalFlip(),
                                     transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    error = error_text(lambda: as_written(img), TypeError)
    fixed = transforms.Compose([transforms.Resize((224, 224)), transforms.RandomHorizontalFlip(),
                                transforms.ToTensor(),  # the missing step: PIL image → (3, 224, 224) tensor
                                transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    return error, fixed(img)


def interpolations(img: Image.Image) -> tuple[torch.Tensor, torch.Tensor]:
    """Resize(SMALL) with the default (bilinear, antialiased on PIL images) and with nearest, as tensors."""
    bilinear = transforms.Resize(SMALL)(img)
    nearest = transforms.Resize(SMALL, interpolation=InterpolationMode.NEAREST)(img)  # copies one source pixel
    return transforms.ToTensor()(bilinear), transforms.ToTensor()(nearest)


def rgba_demo(img: Image.Image, rgba_png: Path) -> tuple[torch.Tensor, str, str, torch.Tensor]:
    """The transparent PNG: its 4-channel tensor, the two errors, and the fixed 3-channel tensor."""
    rgba_version(img).save(rgba_png)
    rgba_tensor = transforms.ToTensor()(Image.open(rgba_png))  # Image.open keeps all 4 channels: (4, H, W)
    rgba_error = error_text(lambda: transforms.Normalize(HALF, HALF)(rgba_tensor))
    four = transforms.Normalize([0.5] * 4, [0.5] * 4)(rgba_tensor)  # the course's way round the error
    conv_error = error_text(lambda: nn.Conv2d(3, 32, 5)(four.unsqueeze(0)))  # but the model wants 3 channels
    rgb_tensor = transforms.Normalize(HALF, HALF)(transforms.ToTensor()(open_rgb(rgba_png)))  # alpha → white
    return rgba_tensor, rgba_error, conv_error, rgb_tensor


def rgba_version(image: Image.Image) -> Image.Image:
    """`image` with an alpha channel that fades from transparent (left) to opaque (right)."""
    rgb = np.asarray(image.convert("RGB"))
    alpha = np.broadcast_to(np.linspace(0, 255, rgb.shape[1]).astype(np.uint8), rgb.shape[:2])
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


def log_images(log_dir: Path, shown: dict[str, torch.Tensor]) -> None:
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for tag, tensor in shown.items():
            writer.add_image(tag, tensor, 1)  # CHW is the default format; floats are scaled by 255, clipped


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    out = writable_dir(out)
    source = sample_image_path(data_dir)
    img = open_rgb(source)  # PIL RGB, (W, H) in PIL's order

    to_tensor = transforms.ToTensor()
    img_tensor = to_tensor(img)  # (3, H, W) float32, pixel / 255
    img_norm = transforms.Normalize(HALF, HALF)(img_tensor)  # (x − 0.5) / 0.5 per channel
    img_square = to_tensor(transforms.Resize((512, 512))(img))  # Resize takes (H, W); PIL in, PIL out
    img_short = to_tensor(transforms.Resize(100)(img))
    img_center = transforms.CenterCrop((100, 100))(img_tensor)  # crops work on tensors too

    torch.manual_seed(SEED)
    top, left, _height, _width = transforms.RandomCrop.get_params(img_tensor, (64, 64))  # what RandomCrop draws
    torch.manual_seed(SEED)
    img_random = transforms.RandomCrop((64, 64))(img_tensor)

    img_hflip = transforms.RandomHorizontalFlip(p=1.0)(img_tensor)  # p=1: always flip, so it can be compared
    img_vflip = transforms.RandomVerticalFlip(p=1.0)(img_tensor)
    pipeline = transforms.Compose([transforms.Resize(32), transforms.ToTensor(), transforms.Normalize(HALF, HALF)])
    img_compose = pipeline(img)

    compose_error, compose_fixed = course_compose(img)
    own = channels(img_tensor)
    img_own = transforms.Normalize(own.mean, own.std)(img_tensor)  # standardise: each channel mean 0, std 1
    bilinear, nearest = interpolations(img)
    levels = ((bilinear - nearest).abs() * 255).round()  # both hold k / 255: whole pixel levels
    rgba_png = out / "ant_rgba.png"
    rgba_tensor, rgba_error, conv_error, rgb_tensor = rgba_demo(img, rgba_png)

    v2_to_tensor = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])(img)
    v2_norm = v2.Normalize(HALF, HALF)(v2_to_tensor)

    log_dir = out / "tb"
    shown = {"ToTensor": img_tensor, "Normalize": img_norm, "Resize": img_square, "CenterCrop": img_center,
             "RandomCrop": img_random, "HorizontalFlip": img_hflip, "VerticalFlip": img_vflip,
             "Compose": img_compose, "RGBA_as_RGB": rgb_tensor, "Resize_bilinear": bilinear,
             "Resize_nearest": nearest}
    log_images(log_dir, shown)

    return Result(
        source=source, to_tensor=stats(img_tensor), normalized=stats(img_norm), channels_before=own,
        channels_half=channels(img_norm), channels_own=channels(img_own),
        resize_square=tuple(img_square.shape), resize_short_side=tuple(img_short.shape),
        center_crop=tuple(img_center.shape), random_crop=tuple(img_random.shape), random_crop_corner=(top, left),
        hflip_equals_torch_flip=torch.equal(img_hflip, torch.flip(img_tensor, dims=[2])),
        vflip_equals_torch_flip=torch.equal(img_vflip, torch.flip(img_tensor, dims=[1])),
        compose=stats(img_compose), course_compose_error=compose_error, course_compose_fixed=stats(compose_fixed),
        interpolation_size=tuple(bilinear.shape), bilinear_vs_nearest_mean=float(levels.mean()),
        bilinear_vs_nearest_max=int(levels.max()), rgba_png=rgba_png, rgba_shape=tuple(rgba_tensor.shape),
        rgba_normalize_error=rgba_error, four_channel_conv_error=conv_error, rgb_shape=tuple(rgb_tensor.shape),
        v2_names=dict(V2_NAMES), v2_to_tensor_diff=float((v2_to_tensor - img_tensor).abs().max()),
        v2_normalize_diff=float((v2_norm - img_norm).abs().max()), log_dir=log_dir, tags=list(shown))


def _stats(s: Stats) -> str:
    return _("{shape} {dtype} in [{min:.3f}, {max:.3f}]").format(shape=s.shape, dtype=s.dtype, min=s.min, max=s.max)


def _channels(c: Channels) -> str:
    mean, std = ([round(v, 3) + 0.0 for v in values] for values in (c.mean, c.std))  # + 0.0: no "-0.0"
    return _("mean {mean}, std {std}").format(mean=mean, std=std)


def course_lines(result: Result) -> list[str]:
    """The course's Compose, its Normalize claim, and Resize's interpolation."""
    return [
        _("the course's Compose([Resize((224, 224)), RandomHorizontalFlip(), Normalize(...)]) on a PIL image:"),
        _("    TypeError: {error}").format(error=result.course_compose_error),
        _("    with ToTensor() before Normalize: {stats}").format(stats=_stats(result.course_compose_fixed)),
        _("per channel (R, G, B) of the photo after ToTensor: {channels}").format(
            channels=_channels(result.channels_before)),
        _("    after Normalize([0.5]*3, [0.5]*3): {channels}").format(channels=_channels(result.channels_half)),
        _("    — not 0.5 and 0.5: out = (x − 0.5) / 0.5 maps [0, 1] to [−1, 1], so a mean m becomes 2m − 1 "
          "and a std s becomes 2s"),
        _("    after Normalize(its own mean, its own std): {channels} — standardised").format(
            channels=_channels(result.channels_own)),
        _("Resize({size}) bilinear (the default, antialiased) vs nearest: both {shape}, "
          "mean |difference| {mean:.1f} levels of 255, largest {max}").format(
              size=SMALL, shape=result.interpolation_size, mean=result.bilinear_vs_nearest_mean,
              max=result.bilinear_vs_nearest_max),
    ]


def describe(result: Result) -> str:
    lines = [_("image: {source}").format(source=result.source),
             f"ToTensor:            {_stats(result.to_tensor)}",  # not text: transform names and numbers
             f"Normalize(0.5, 0.5): {_stats(result.normalized)}",  # not text
             f"Resize((512, 512)):  {result.resize_square}",  # not text
             _("Resize(100):         {shape}  (short side 100, aspect ratio kept)").format(
                 shape=result.resize_short_side),
             f"CenterCrop(100):     {result.center_crop}",  # not text
             _("RandomCrop(64):      {shape} at (top, left) {corner}").format(
                 shape=result.random_crop, corner=result.random_crop_corner),
             _("horizontal flip == torch.flip(dims=[2]): {h}; vertical flip == torch.flip(dims=[1]): {v}").format(
                 h=result.hflip_equals_torch_flip, v=result.vflip_equals_torch_flip),
             f"Compose(Resize(32), ToTensor, Normalize): {_stats(result.compose)}",  # not text
             *course_lines(result),
             _("RGBA PNG {name}: ToTensor gives {shape}").format(name=result.rgba_png.name, shape=result.rgba_shape),
             _("    3-channel Normalize on it: RuntimeError: {error}").format(error=result.rgba_normalize_error),
             _("    4-value Normalize runs, then Conv2d(3, …): RuntimeError: {error}").format(
                 error=result.four_channel_conv_error),
             _("    open_rgb first (alpha over white): {shape}, Normalize works").format(shape=result.rgb_shape),
             _("v2 vs classic, max difference: ToTensor {to_tensor:.1e}, Normalize {normalize:.1e}").format(
                 to_tensor=result.v2_to_tensor_diff, normalize=result.v2_normalize_diff),
             _("v2 names:")]
    lines += [f"    {old:<26}→ {new}" for old, new in result.v2_names.items()]
    lines.append(_("TensorBoard: {tags} → tensorboard --logdir {log_dir}").format(
        tags=", ".join(result.tags), log_dir=result.log_dir))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("transforms", argv)


if __name__ == "__main__":
    raise SystemExit(main())
