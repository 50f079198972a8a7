"""Open any image a learner has as RGB, and turn it into a model input.

The course's test.py does `Image.open(path)` → `Resize` → `ToTensor` and breaks on a PNG with
transparency (4 channels), a grayscale scan (1 channel) or a phone photo stored sideways
(EXIF orientation). `open_rgb` handles every mode Pillow reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageError


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


def open_rgb(path: Path | str) -> Image.Image:
    """The image at `path` as an upright RGB PIL image; ImageError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"image {path} does not exist", "check the path (quote names with spaces)")
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)  # phone photos: apply the stored rotation
            image.load()
            return _to_rgb(image)
    except UnidentifiedImageError:
        raise ImageError(f"{path} is not an image Pillow can read", "pass a JPEG, PNG, GIF, BMP or WebP file") from None
    except Image.DecompressionBombError as err:
        raise ImageError(f"{path} is too large to open safely ({err})", "resize it below 89 megapixels first") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{path} could not be decoded ({err})",
                         "the file is damaged or truncated: re-save it") from None


def image_to_input(image: Image.Image, size: tuple[int, int], mean: Sequence[float],
                   std: Sequence[float]) -> torch.Tensor:
    """RGB PIL image → (1, 3, H, W) float tensor, resized and standardised like the training data."""
    resized = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)  # antialiased when shrinking
    x = torch.from_numpy(np.asarray(resized, dtype=np.uint8).copy()).permute(2, 0, 1).float().div(255)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return ((x - mean_t) / std_t).unsqueeze(0)
