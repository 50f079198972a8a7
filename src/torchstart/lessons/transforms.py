"""Lesson 6 — transforms (课程第六章：transforms).

中文：在蚂蚁/蜜蜂样例的一张照片上依次使用 `torchvision.transforms`：ToTensor 把 (H, W, C) 的 0–255 图像变成
(C, H, W)、取值在 [0, 1] 的浮点张量；Normalize(0.5, 0.5) 把它映射到 [-1, 1]；Resize、CenterCrop、
RandomCrop 改变尺寸；水平/垂直翻转与 `torch.flip` 完全一致；Compose 把几步串起来。然后复现课程里
透明 PNG（RGBA，4 个通道）的问题：3 通道的 Normalize 在 4 通道张量上报错——先转成 RGB 就好了。
最后给出 `torchvision.transforms.v2` 里对应的写法，核对它和旧接口结果相同，并像课程一样把变换后的
图像写进 TensorBoard。

English: apply `torchvision.transforms` to a photo from the ants/bees sample: ToTensor turns an
(H, W, C) 0–255 image into a (C, H, W) float tensor in [0, 1]; Normalize(0.5, 0.5) maps it to [-1, 1];
Resize, CenterCrop and RandomCrop change its size; the horizontal and vertical flips equal `torch.flip`;
Compose chains steps. Then it reproduces the course's transparent-PNG problem (RGBA, 4 channels): a
3-channel Normalize fails on a 4-channel tensor — converting to RGB first fixes it. Finally it names the
`torchvision.transforms.v2` equivalents, checks they give the same numbers as the classic API, and
writes the transformed images to TensorBoard as the course does.
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
from torchvision.transforms import v2

from ..data.images import open_rgb
from ..files import writable_dir
from ._shared import error_text, sample_image_path
from .runner import lesson_main

SEED = 0  # fixes RandomCrop's position so every run crops the same window
HALF = [0.5, 0.5, 0.5]  # the course's mean and std per channel: (x − 0.5) / 0.5 maps [0, 1] to [-1, 1]

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
class Result:
    source: Path
    to_tensor: Stats  # (3, H, W) float32 in [0, 1]
    normalized: Stats  # the same in [-1, 1]
    resize_square: tuple[int, ...]  # Resize((512, 512)): exactly that size
    resize_short_side: tuple[int, ...]  # Resize(100): the short side becomes 100, the aspect ratio stays
    center_crop: tuple[int, ...]
    random_crop: tuple[int, ...]
    random_crop_corner: tuple[int, int]  # (top, left) RandomCrop picked with SEED
    hflip_equals_torch_flip: bool  # RandomHorizontalFlip(p=1) vs torch.flip(x, dims=[2])
    vflip_equals_torch_flip: bool  # RandomVerticalFlip(p=1) vs torch.flip(x, dims=[1])
    compose: Stats  # Resize(32) → ToTensor → Normalize in one call
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


def rgba_version(image: Image.Image) -> Image.Image:
    """`image` with an alpha channel that fades from transparent (left) to opaque (right)."""
    rgb = np.asarray(image.convert("RGB"))
    alpha = np.broadcast_to(np.linspace(0, 255, rgb.shape[1]).astype(np.uint8), rgb.shape[:2])
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


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
    top, left, _, _ = transforms.RandomCrop.get_params(img_tensor, (64, 64))  # what RandomCrop draws
    torch.manual_seed(SEED)
    img_random = transforms.RandomCrop((64, 64))(img_tensor)

    img_hflip = transforms.RandomHorizontalFlip(p=1.0)(img_tensor)  # p=1: always flip, so it can be compared
    img_vflip = transforms.RandomVerticalFlip(p=1.0)(img_tensor)
    pipeline = transforms.Compose([transforms.Resize(32), transforms.ToTensor(), transforms.Normalize(HALF, HALF)])
    img_compose = pipeline(img)

    # The transparent PNG: Image.open keeps all 4 channels (R, G, B, alpha).
    rgba_png = out / "ant_rgba.png"
    rgba_version(img).save(rgba_png)
    rgba_tensor = to_tensor(Image.open(rgba_png))  # (4, H, W)
    rgba_error = error_text(lambda: transforms.Normalize(HALF, HALF)(rgba_tensor))
    four = transforms.Normalize([0.5] * 4, [0.5] * 4)(rgba_tensor)  # the course's way round the error
    conv_error = error_text(lambda: nn.Conv2d(3, 32, 5)(four.unsqueeze(0)))  # but the model wants 3 channels
    rgb_tensor = transforms.Normalize(HALF, HALF)(to_tensor(open_rgb(rgba_png)))  # the fix: alpha → white

    v2_to_tensor = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])(img)
    v2_norm = v2.Normalize(HALF, HALF)(v2_to_tensor)

    log_dir = out / "tb"
    shown = {"ToTensor": img_tensor, "Normalize": img_norm, "Resize": img_square, "CenterCrop": img_center,
             "RandomCrop": img_random, "HorizontalFlip": img_hflip, "VerticalFlip": img_vflip,
             "Compose": img_compose, "RGBA_as_RGB": rgb_tensor}
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for tag, tensor in shown.items():
            writer.add_image(tag, tensor, 1)  # CHW is the default format; floats are scaled by 255, clipped

    return Result(
        source=source, to_tensor=stats(img_tensor), normalized=stats(img_norm),
        resize_square=tuple(img_square.shape), resize_short_side=tuple(img_short.shape),
        center_crop=tuple(img_center.shape), random_crop=tuple(img_random.shape), random_crop_corner=(top, left),
        hflip_equals_torch_flip=torch.equal(img_hflip, torch.flip(img_tensor, dims=[2])),
        vflip_equals_torch_flip=torch.equal(img_vflip, torch.flip(img_tensor, dims=[1])),
        compose=stats(img_compose), rgba_png=rgba_png, rgba_shape=tuple(rgba_tensor.shape),
        rgba_normalize_error=rgba_error, four_channel_conv_error=conv_error, rgb_shape=tuple(rgb_tensor.shape),
        v2_names=dict(V2_NAMES), v2_to_tensor_diff=float((v2_to_tensor - img_tensor).abs().max()),
        v2_normalize_diff=float((v2_norm - img_norm).abs().max()), log_dir=log_dir, tags=list(shown))


def _stats(s: Stats) -> str:
    return f"{s.shape} {s.dtype} in [{s.min:.3f}, {s.max:.3f}]"


def describe(result: Result) -> str:
    lines = [f"image: {result.source}",
             f"ToTensor:            {_stats(result.to_tensor)}",
             f"Normalize(0.5, 0.5): {_stats(result.normalized)}",
             f"Resize((512, 512)):  {result.resize_square}",
             f"Resize(100):         {result.resize_short_side}  (short side 100, aspect ratio kept)",
             f"CenterCrop(100):     {result.center_crop}",
             f"RandomCrop(64):      {result.random_crop} at (top, left) {result.random_crop_corner}",
             f"horizontal flip == torch.flip(dims=[2]): {result.hflip_equals_torch_flip}; "
             f"vertical flip == torch.flip(dims=[1]): {result.vflip_equals_torch_flip}",
             f"Compose(Resize(32), ToTensor, Normalize): {_stats(result.compose)}",
             f"RGBA PNG {result.rgba_png.name}: ToTensor gives {result.rgba_shape}",
             f"    3-channel Normalize on it: RuntimeError: {result.rgba_normalize_error}",
             f"    4-value Normalize runs, then Conv2d(3, …): RuntimeError: {result.four_channel_conv_error}",
             f"    open_rgb first (alpha over white): {result.rgb_shape}, Normalize works",
             f"v2 vs classic, max difference: ToTensor {result.v2_to_tensor_diff:.1e}, "
             f"Normalize {result.v2_normalize_diff:.1e}",
             "v2 names:"]
    lines += [f"    {old:<26}→ {new}" for old, new in result.v2_names.items()]
    lines.append(f"TensorBoard: {', '.join(result.tags)} → tensorboard --logdir {result.log_dir}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("transforms", argv)


if __name__ == "__main__":
    raise SystemExit(main())
