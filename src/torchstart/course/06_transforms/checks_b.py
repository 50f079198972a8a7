"""Exercise 6b (transforms): resize_shape against what transforms.Resize really gives, on the ant photo's size and
sizes Hypothesis draws; cifar_transform against the reference pipeline on the ant photo and on drawn images."""

from __future__ import annotations

from types import ModuleType

import torch
from hypothesis import strategies as st
from PIL import Image
from torchvision import transforms

from torchstart.course.kit import Check, Mistake, Wrong, ant_photo, close, generated, shape
from torchstart.i18n import N_, _

CIFAR = ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616])  # a different value per channel: the order matters


def _torch_shape(height: int, width: int, size: int | tuple[int, int]) -> tuple[int, int]:
    return tuple(transforms.Resize(size)(torch.zeros(1, height, width)).shape[-2:])


def _compare_shape(ex: ModuleType, height: int, width: int, size: int | tuple[int, int]) -> None:
    want, got = _torch_shape(height, width, size), ex.resize_shape(height, width, size)
    got = tuple(got) if isinstance(got, (list, tuple)) else got
    if got == want:
        return
    case = f"resize_shape({height}, {width}, {size!r})"  # not text: the call, as code
    if isinstance(size, int) and got in ((size, size), want[::-1]) and want != (size, size):
        raise Wrong(_("{case} gave {got}, Resize gives {want}: with one number, the shorter side becomes it and the "
                      "longer one keeps the ratio — (height, width), in that order").format(
                          case=case, got=got, want=want))
    if isinstance(size, int) and size in want and size in got:
        raise Wrong(_("{case} gave {got}, Resize gives {want}: it is the shorter side that becomes {size}, and the "
                      "other is int(size · long / short), rounded down").format(
                          case=case, got=got, want=want, size=size))
    raise Wrong(_("{case} gave {got}, Resize gives {want}").format(case=case, got=got, want=want))


@st.composite
def _sizes(draw) -> tuple[int, int, int | tuple[int, int]]:
    height, width = draw(st.integers(1, 60)), draw(st.integers(1, 60))
    size = draw(st.integers(1, 40) | st.tuples(st.integers(1, 40), st.integers(1, 40)))
    return height, width, size


def check_shape(ex: ModuleType) -> None:
    with Image.open(ant_photo()) as photo:
        height, width = photo.height, photo.width
    for size in (32, (32, 32), 224):
        _compare_shape(ex, height, width, size)
    generated(_sizes(), lambda *case: _compare_shape(ex, *case), examples=40)


def _want(image: Image.Image) -> torch.Tensor:
    return transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor(), transforms.Normalize(*CIFAR)])(
        image)


def _compare_transform(ex: ModuleType, image: Image.Image) -> None:
    try:
        got = ex.cifar_transform(*CIFAR)(image.copy())
    except TypeError as err:
        if "tensor" in str(err).lower():
            raise Wrong(_("Normalize got a PIL image: it works on tensors — put ToTensor before Normalize")) from None
        raise
    if isinstance(got, Image.Image):
        raise Wrong(_("the result is a PIL image: end the pipeline with ToTensor and Normalize"))
    want = _want(image)
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        raise Wrong(_("a {width}×{height} image became {got}, expected (3, 32, 32): Resize((32, 32)) — a single 32 "
                      "keeps the aspect ratio").format(width=image.width, height=image.height, got=shape(got)))
    if float(got.max()) <= 1.0 and float(got.min()) >= 0.0:
        raise Wrong(_("every value is in [0, 1]: the pipeline does not standardise — add Normalize(mean, std) "
                      "after ToTensor"))
    if not close(got, want, atol=1e-4):
        raise Wrong(_("the values differ from the reference's by up to {diff:.3g}: Resize((32, 32)), ToTensor, "
                      "Normalize(mean, std), in that order").format(diff=float((got - want).abs().max())))


@st.composite
def _images(draw) -> tuple[Image.Image]:
    """An RGB image of 1–80 × 1–80 pixels, of one colour with a lighter block in its top-left corner."""
    width, height = draw(st.integers(1, 80)), draw(st.integers(1, 80))
    colour = tuple(draw(st.integers(0, 255)) for _channel in range(3))
    image = Image.new("RGB", (width, height), colour)
    image.paste((255, 255, 255), (0, 0, max(1, width // 3), max(1, height // 3)))
    return (image,)


def check_transform(ex: ModuleType) -> None:
    with Image.open(ant_photo()) as photo:
        _compare_transform(ex, photo.convert("RGB"))
    generated(_images(), lambda image: _compare_transform(ex, image), examples=15)


CHECKS = (
    Check(N_("resize_shape gives the size transforms.Resize gives (the ant photo and 40 generated sizes)"),
          check_shape, ("resize_shape",)),
    Check(N_("cifar_transform turns the ant photo and 15 generated images into what the reference pipeline gives"),
          check_transform, ("cifar_transform",)),
)

MISTAKES = (
    Mistake(N_("the longer side made size instead of the shorter"), "if height <= width:", "if height >= width:",
            "the shorter side that becomes"),
    Mistake(N_("Resize(32), which keeps the aspect ratio"), "transforms.Resize((32, 32)),", "transforms.Resize(32),",
            "keeps the aspect ratio"),
    Mistake(N_("Normalize before ToTensor"),
            "        transforms.ToTensor(),  # PIL (H, W, C) 0–255 → (C, H, W) float in [0, 1]\n"
            "        transforms.Normalize(mean, std),",
            "        transforms.Normalize(mean, std),\n        transforms.ToTensor(),", "put ToTensor before"),
    Mistake(N_("no Normalize"), "        transforms.Normalize(mean, std),  # on a tensor: after ToTensor\n", "",
            "does not standardise"),
)
