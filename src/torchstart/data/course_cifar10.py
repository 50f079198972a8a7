"""`torchstart.CIFAR10`: torchvision's CIFAR10 dataset class, which also reads the sample copies torchstart writes.

Its own module, so `torchstart.sample(...)` imports no torchvision for a chapter that never uses it.
"""

from __future__ import annotations

from pathlib import Path

import torchvision

from ..files import read_json
from .torchvision_files import STAMP


class CIFAR10(torchvision.datasets.CIFAR10):
    """torchvision's CIFAR10, which also reads the sample copies torchstart writes.

    torchvision checks each file against the MD5 of the official archive; `torchstart.sample("cifar10")`
    holds the same kind of data in other bytes (2,000 + 500 real images), and its stamp file lists their own
    MD5s. With those this class checks the files at hand exactly as torchvision does; any other folder (the
    official files) is read by torchvision's own checks, unchanged.
    """

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 download: bool = False) -> None:
        try:
            md5 = read_json(Path(root) / STAMP)["md5"]
        except (OSError, ValueError, KeyError, TypeError):
            md5 = None
        if md5:
            base = torchvision.datasets.CIFAR10
            self.train_list = [[name, md5[name]] for name, _official in base.train_list]
            self.test_list = [[name, md5[name]] for name, _official in base.test_list]
            self.meta = {**base.meta, "md5": md5[base.meta["filename"]]}
        super().__init__(root, train=train, transform=transform, target_transform=target_transform,
                         download=download)
