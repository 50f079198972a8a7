"""What a data folder holds: CIFAR-10 (searched for in a stated order) or your own class folders of images."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from ..files import check_input
from ..i18n import _
from .cifar10 import find_cifar10, load_dir
from .folders import load_image_folder
from .imagedata import ImageData


def find_data(data_dir: Path | None = None, download: bool = False, *, image_size: int = 32,
              val_fraction: float = 0.2, seed: int = 0) -> ImageData:
    """What `--data-dir` holds: CIFAR-10 or class folders of images; without one, CIFAR-10 as find_cifar10 finds it.

    `image_size`, `val_fraction` and `seed` apply to image folders only (CIFAR-10 stays 32×32).
    """
    if data_dir is None:
        return find_cifar10(None, download)
    data_dir = check_input(Path(data_dir).expanduser(), expect="dir", what="--data-dir", error=DataError,
                           fix=_("pass a folder: CIFAR-10 (cifar-10-batches-py/ or train.npz + test.npz) or "
                                 "one sub-folder of images per class"))
    cifar = load_dir(data_dir)  # None when the folder holds no CIFAR-10 layout
    if cifar is not None:
        return cifar
    return load_image_folder(data_dir, image_size=image_size, val_fraction=val_fraction, seed=seed)
