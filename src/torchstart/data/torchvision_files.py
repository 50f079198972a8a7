"""CIFAR-10 in torchvision's own file layout, so `torchvision.datasets.CIFAR10(root, download=False)` reads it.

The official archive unpacks to `cifar-10-batches-py/`: `data_batch_1` … `data_batch_5` and `test_batch`, each a
pickled dict {"batch_label", "labels", "data", "filenames"} whose "data" is a uint8 array (N, 3072) — the red
plane, then green, then blue, row by row — and `batches.meta` with the class names. `torchvision_copy` gives a
folder torchvision can read for any CIFAR-10 `ImageData`: a found `cifar-10-batches-py/` as it is, anything else
(the embedded sample, `train.npz` + `test.npz`) written once in that form into the cache and reused after.

torchvision also checks each file's MD5 against the official archive's; `TorchvisionCopy.md5` holds the MD5s of
the files at hand, and `official` says whether they are the archive's own.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..files import read_json, write_json
from ..i18n import _
from .cifar10 import TORCHVISION_DIR, TORCHVISION_TEST, TORCHVISION_TRAIN, cache_dir
from .imagedata import ArraySplit, ImageData

META = "batches.meta"
STAMP = "torchstart-source.json"  # written last: its presence means the copy is complete
FILES = (*TORCHVISION_TRAIN, *TORCHVISION_TEST, META)
# The MD5 of each file of the official cifar-10-python.tar.gz, as torchvision's CIFAR10 lists them.
OFFICIAL_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f", "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751", "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb", "test_batch": "40351d587109b95175f43aff81a1287e",
    META: "5ff9c542aee3614f3951f8cda6e48888",
}


@dataclass(frozen=True)
class TorchvisionCopy:
    root: Path  # what to pass as CIFAR10(root=…): the folder that holds cifar-10-batches-py/
    md5: dict[str, str]  # file name → MD5 of that file
    written: bool  # True when this call wrote the files; False when they were found (or cached earlier)

    @property
    def folder(self) -> Path:
        return self.root / TORCHVISION_DIR

    @property
    def official(self) -> bool:
        """The official archive's files, byte for byte: torchvision's own checksums accept them."""
        return self.md5 == OFFICIAL_MD5


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(data: ImageData) -> str:
    """A digest of the images, labels and class names: a changed source gets a new copy, never a stale one."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update("\n".join(data.classes).encode("utf-8"))
    for split in (data.train, data.test):
        digest.update(split.images.numpy().tobytes())
        digest.update(split.labels.numpy().astype("<i8").tobytes())
    return digest.hexdigest()


def batch_dict(split: ArraySplit, label: str, offset: int) -> dict:
    """One batch file's content, as in the official files (HWC images → rows of 3072 in CHW order)."""
    images = split.images.numpy()
    rows = np.ascontiguousarray(images.transpose(0, 3, 1, 2).reshape(len(images), 3 * 32 * 32))
    return {"batch_label": label, "labels": split.labels.tolist(), "data": rows,
            "filenames": [f"torchstart_{offset + i:05d}.png" for i in range(len(images))]}


def write_batches(data: ImageData, folder: Path) -> None:
    """`folder` (a cifar-10-batches-py) holding `data` as the official files: 5 train batches, 1 test, meta."""
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(data.train), len(TORCHVISION_TRAIN) + 1).astype(int)  # 5 equal parts
    parts = [(name, ArraySplit(data.train.images[a:b], data.train.labels[a:b]), f"training batch {i} of 5", a)
             for i, (name, a, b) in enumerate(zip(TORCHVISION_TRAIN, bounds, bounds[1:]), start=1)]
    parts.append((TORCHVISION_TEST[0], data.test, "testing batch 1 of 1", 0))
    for name, split, label, offset in parts:
        with open(folder / name, "wb") as f:
            pickle.dump(batch_dict(split, label, int(offset)), f, protocol=2)  # the archive's protocol
    meta = {"label_names": list(data.classes), "num_cases_per_batch": int(bounds[1]), "num_vis": 3 * 32 * 32}
    with open(folder / META, "wb") as f:
        pickle.dump(meta, f, protocol=2)


def found_copy(data: ImageData) -> TorchvisionCopy | None:
    """The folder `data` was read from, when torchvision can read it as it is (it is named cifar-10-batches-py)."""
    folder = Path(data.source)
    if data.layout != "torchvision" or folder.name != TORCHVISION_DIR or not (folder / META).is_file():
        return None
    return TorchvisionCopy(folder.parent, {name: file_md5(folder / name) for name in FILES}, written=False)


def _cached(root: Path, key: str) -> TorchvisionCopy | None:
    try:
        stamp = read_json(root / STAMP)
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("fingerprint") != key or not isinstance(stamp.get("md5"), dict):
        return None
    if not all((root / TORCHVISION_DIR / name).is_file() for name in FILES):
        return None
    return TorchvisionCopy(root, {name: str(stamp["md5"].get(name)) for name in FILES}, written=False)


def torchvision_copy(data: ImageData, cache: Path | None = None) -> TorchvisionCopy:
    """A folder torchvision's CIFAR10 reads `data` from: where it was found, or a copy written once into the cache.

    The copy lives in <cache>/torchvision/<sample|cifar10>-<fingerprint>/cifar-10-batches-py — not in
    <cache>/cifar10, so CIFAR-10 searches never mistake a copy of the 2,000-image sample for the full set.
    """
    found = found_copy(data)
    if found is not None:
        return found
    key = fingerprint(data)
    root = (cache or cache_dir()) / "torchvision" / f"{'sample' if data.is_sample else 'cifar10'}-{key}"
    cached = _cached(root, key)
    if cached is not None:
        return cached
    tmp = root.with_name(f".{root.name}.{os.getpid()}.tmp")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        write_batches(data, tmp / TORCHVISION_DIR)
        md5 = {name: file_md5(tmp / TORCHVISION_DIR / name) for name in FILES}
        write_json(tmp / STAMP, {"source": data.source, "fingerprint": key, "md5": md5})
        if _cached(root, key) is None:  # not finished by another process meanwhile
            shutil.rmtree(root, ignore_errors=True)  # an incomplete copy (no stamp) left by a killed run
            os.replace(tmp, root)
    except OSError as err:
        raise DataError(_("cannot write CIFAR-10 in torchvision's layout to {path} ({reason})").format(
            path=root, reason=err.strerror or err),
            _("set TORCHSTART_CACHE to a writable folder, or free disk space")) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # already gone after the rename
    return TorchvisionCopy(root, md5, written=True)
