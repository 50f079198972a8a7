"""What several lessons use: the course's 5×5 input, its sample photo, its one-line device choice, error text.

Lessons import only this module and the core package (data, models, device, training, files) —
never another lesson — so each lesson can be read, run and exported as a notebook on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from ..data.hymenoptera import hymenoptera_root
from ..data.scan import image_files
from ..errors import ImageError
from ..i18n import _

# The course's 5×5 "image" (chapters 九 and 十), plain integers so the sums can be done by hand.
COURSE_INPUT = [[1, 2, 0, 3, 1],
                [0, 1, 2, 3, 1],
                [1, 2, 1, 0, 0],
                [5, 2, 3, 1, 1],
                [2, 1, 0, 1, 1]]


def sample_image_path(data_dir: Path | None = None) -> Path:
    """The first JPEG of train/ants in the ants/bees set (the course's 0013035.jpg in both the sample and full set)."""
    ants = hymenoptera_root(data_dir) / "train" / "ants"
    jpegs = [name for name in image_files(ants) if name.lower().endswith((".jpg", ".jpeg"))]
    if not jpegs:
        raise ImageError(_("{folder} holds no JPEG files").format(folder=ants),
                         _("pass the ants/bees folder that holds train/ants/*.jpg"))
    return ants / jpegs[0]


def read_image(path: Path) -> np.ndarray:
    """The image at `path` as OpenCV's BGR uint8 array (H, W, 3), for any path the OS accepts.

    Python reads the bytes (np.fromfile handles every path) and OpenCV only decodes them; cv2.imread
    opens the file itself and, on Windows, cannot open names outside the system code page.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(_("image {path} does not exist").format(path=path),
                         _("check the path (quote names with spaces)"))
    image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:  # OpenCV signals a failed decode with None, not an exception
        raise ImageError(_("OpenCV could not decode {path}").format(path=path), _("pass a JPEG, PNG or BMP file"))
    return image


def course_device() -> torch.device:
    """The course's device choice (chapter 二十), kept as written to compare with pick_device("auto").

    It knows CUDA and MPS only, so an Intel GPU (XPU) is missed — pick_device asks torch.accelerator
    instead, which covers every kind.
    """
    return torch.device("cuda" if torch.cuda.is_available()
                        else ("mps" if (torch.backends.mps.is_built() and torch.backends.mps.is_available())
                              else "cpu"))


def error_text(call: Callable[[], object], *kinds: type[BaseException]) -> str:
    """The message of the error `call()` raises (one of `kinds`, default RuntimeError); "" when it raises none.

    Lessons show the errors the course's code runs into; this keeps each demonstration to one line.
    """
    caught = kinds or (RuntimeError,)
    try:
        call()
    except caught as err:
        return str(err)
    return ""
