"""Open any image a learner has as RGB, and turn it into a model input.

The course's test.py does `Image.open(path)` → `Resize` → `ToTensor` and breaks on a PNG with
transparency (4 channels), a grayscale scan (1 channel) or a phone photo stored sideways
(EXIF orientation). `open_rgb` handles every mode Pillow reads.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageError
from ..files import check_input
from ..i18n import N_, _


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels have arbitrary colour underneath; show them on white, as a viewer does.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit or float grayscale: convert("RGB") would clip everything above 255 to white.
        values = np.asarray(image, dtype=np.float32)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) * (255.0 / max(high - low, 1e-6))
        return Image.fromarray(scaled.astype(np.uint8)).convert("RGB")
    return image.convert("RGB")  # L, P, CMYK, YCbCr, RGB …


EMPTY_FILE = N_("is an empty file (0 bytes)")  # what is wrong with a file, after its name


def _reason(err: Exception) -> tuple[str, str]:
    """(what is wrong, how to fix it) for an exception Pillow raised while opening or decoding a file."""
    if isinstance(err, UnidentifiedImageError):
        return _("is not an image Pillow can read"), _("pass a JPEG, PNG, GIF, BMP or WebP file")
    if isinstance(err, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return (_("is too large to open safely ({reason})").format(reason=err),
                _("resize it below {pixels} pixels first").format(pixels=f"{Image.MAX_IMAGE_PIXELS:,}"))
    # OSError "image file is truncated", SyntaxError, struct.error, … from a damaged file
    return (_("could not be decoded ({reason})").format(reason=f"{type(err).__name__}: {err}"),
            _("the file is damaged or truncated: re-save it"))


@contextmanager
def _strict_pillow() -> Iterator[None]:
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS (~89.5 MP) and twice that, then decodes anyway:
        # a 10,000×10,000 image would take 300 MB as RGB. Treat the warning as the error it announces.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


@contextmanager
def _pillow_errors(path: Path) -> Iterator[None]:
    """Turn whatever Pillow raises on a damaged, foreign or oversized file into one ImageError naming it."""
    with _strict_pillow():
        try:
            yield
        except Exception as err:
            cause, fix = _reason(err)
            raise ImageError(_("{path} {cause}").format(path=path, cause=cause), fix) from None


def _existing_file(path: Path | str) -> Path:
    path = check_input(path, expect="file", what=N_("image"), error=ImageError,
                       fix=_("check the path (quote names with spaces); pass image files, or a folder where one is "
                             "accepted"))
    if path.stat().st_size == 0:
        raise ImageError(_("{path} {cause}").format(path=path, cause=_(EMPTY_FILE)),
                         _("copy the image again; the copy did not finish"))
    return path


def open_rgb(path: Path | str) -> Image.Image:
    """The image at `path` as an upright RGB PIL image; ImageError naming the file otherwise."""
    path = _existing_file(path)
    with _pillow_errors(path), Image.open(path) as image:
        # exif_transpose: phone photos are stored sideways with a rotation tag; apply it (a decoded copy).
        # Converting inside the error handler too: a mode Pillow cannot turn into RGB (LAB, …) is reported.
        return _to_rgb(ImageOps.exif_transpose(image))


def image_problem(path: Path | str) -> str | None:
    """Why the file at `path` is not a usable image ("could not be decoded (…)"), or None if it decodes.

    What a data-set scan runs per file, faster than `open_rgb`: a JPEG is decoded at 1/8 scale
    (`draft`), which still reads its whole compressed stream, so a truncated file is caught.
    """
    if os.path.getsize(path) == 0:
        return _(EMPTY_FILE)
    with _strict_pillow():
        try:
            with Image.open(path) as image:
                if image.format == "JPEG":
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
        except Exception as err:
            return _reason(err)[0]
    return None


def resize_square(image: Image.Image, size: int) -> Image.Image:
    """Shorter side → `size` pixels, then the centre `size`×`size` crop (what ImageNet models' transforms do).

    Keeps the aspect ratio: a wide photo loses its edges instead of being squashed.
    """
    scale = size / min(image.size)
    width, height = max(size, round(image.width * scale)), max(size, round(image.height * scale))
    image = image.resize((width, height), Image.Resampling.BILINEAR)  # antialiased when shrinking
    left, top = (width - size) // 2, (height - size) // 2
    return image.crop((left, top, left + size, top + size))


def image_to_input(image: Image.Image, size: tuple[int, int], mean: Sequence[float],
                   std: Sequence[float]) -> torch.Tensor:
    """RGB PIL image → (1, 3, H, W) float tensor, resized and standardised like the training data.

    Square inputs (every model here) are made as image folders are for training: shorter side to
    the size, centre crop. An image that already has the size is used as it is.
    """
    if size[0] == size[1]:
        resized = resize_square(image, size[0])
    else:
        resized = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    x = torch.from_numpy(np.asarray(resized, dtype=np.uint8).copy()).permute(2, 0, 1).float().div(255)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return ((x - mean_t) / std_t).unsqueeze(0)
