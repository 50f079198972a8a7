"""CIFAR-10 from the first source that exists, as uint8 tensors in memory.

Sources, tried in this order (the first one found wins, and `ImageData.describe()` says which):

1. `data_dir` given by the learner (`--data-dir`): torchvision's `cifar-10-batches-py/` layout or
   `train.npz` + `test.npz` (+ `classes.txt`). A data_dir without CIFAR-10 is an error, not a fallback.
2. `$TORCHSTART_DATA` (the folder itself or its `cifar10/` subfolder), then the user cache
   (`$TORCHSTART_CACHE`, else `$XDG_CACHE_HOME/torchstart`, else `~/.cache/torchstart`) `/cifar10`.
3. torchvision's download into the cache — only when asked (`download=True`).
4. The embedded sample shipped in the package: 2,000 train / 500 test real CIFAR-10 images.

All 60,000 images take 184 MB as uint8, so they stay in memory as one tensor per split, in the
files' own HWC layout (an `ImageData`); batches are converted to float on the training device (see loader.py).
"""

from __future__ import annotations

import os
import pickle
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import DataError
from ..files import check_input
from ..i18n import _
from .imagedata import ArraySplit, ImageData

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# Per-channel mean and std of the official training set, pixel values / 255 (R, G, B).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
IMAGE_SHAPE = (32, 32, 3)  # H, W, C of every stored image
TORCHVISION_DIR = "cifar-10-batches-py"
TORCHVISION_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
TORCHVISION_TEST = ("test_batch",)
SAMPLE_FILE = "cifar10_sample.npz"


def cache_dir() -> Path:
    """Where torchstart keeps downloaded data: $TORCHSTART_CACHE or the user cache dir."""
    if os.environ.get("TORCHSTART_CACHE"):
        return Path(os.environ["TORCHSTART_CACHE"]).expanduser()
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "torchstart"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "torchstart"


def detect_layout(folder: Path) -> tuple[str, Path] | None:
    """('npz' | 'torchvision', the folder holding the files) if `folder` holds CIFAR-10, else None."""
    if (folder / "train.npz").is_file() and (folder / "test.npz").is_file():
        return "npz", folder
    for candidate in (folder / TORCHVISION_DIR, folder):
        if (candidate / TORCHVISION_TRAIN[0]).is_file():
            return "torchvision", candidate
    return None


def _check_split(images: np.ndarray, labels: np.ndarray, where: str, num_classes: int) -> None:
    fix = _("re-create the file (images uint8 N×32×32×3 RGB, labels int in 0..9)")
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise DataError(_("{where}: images must be uint8 N×32×32×3, found {dtype} {shape}").format(
            where=where, dtype=images.dtype, shape=images.shape), fix)
    if images.shape[0] == 0:
        raise DataError(_("{where}: holds no images").format(where=where), fix)
    if labels.ndim != 1 or labels.shape[0] != images.shape[0] or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(_("{where}: labels must be N integers matching {n} images, found {dtype} {shape}").format(
            where=where, n=images.shape[0], dtype=labels.dtype, shape=labels.shape), fix)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise DataError(_("{where}: labels must be in 0..{last}, found {low}..{high}").format(
            where=where, last=num_classes - 1, low=labels.min(), high=labels.max()), fix)


def _split(images: np.ndarray, labels: np.ndarray, where: str, num_classes: int) -> ArraySplit:
    _check_split(images, labels, where, num_classes)
    return ArraySplit(torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels.astype(np.int64)))


def load_npz_dir(folder: Path) -> ImageData:
    """`train.npz` / `test.npz` with arrays `images`, `labels`; optional `classes.txt`."""
    classes, names = CIFAR10_CLASSES, folder / "classes.txt"
    if names.is_file():
        classes = tuple(names.read_text(encoding="utf-8", errors="replace").split())
        if len(classes) < 2 or len(set(classes)) != len(classes):
            cause = _("{path} must list at least 2 different class names, found {n}") if len(set(classes)) == len(
                classes) else _("{path} must list at least 2 different class names, found {n} (with repeats)")
            raise DataError(cause.format(path=names, n=len(classes)),
                            _("write one class name per line, in label order (label 0 first), or delete the file"))
    splits = []
    for name in ("train", "test"):
        path = folder / f"{name}.npz"
        try:
            with np.load(path, allow_pickle=False) as arrays:
                images, labels = arrays["images"], arrays["labels"]
        except KeyError as err:
            raise DataError(_("{path}: missing array {name}").format(path=path, name=err),
                            _("the npz must hold arrays 'images' and 'labels'")) from None
        except Exception as err:  # truncated zip (BadZipFile), CRC error, pickled objects, not an npz at all
            raise DataError(_("{path} is not a readable npz file ({reason})").format(
                path=path, reason=f"{type(err).__name__}: {err}"), _("re-copy or re-create it")) from None
        splits.append(_split(images, labels, str(path), len(classes)))
    return ImageData(splits[0], splits[1], classes, str(folder), "npz")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles CIFAR-10's python batches without running arbitrary code.

    The official files are pickled dicts of numpy arrays; a plain `pickle.load` of a file from
    the internet could execute anything, so only numpy's array reconstruction is allowed.
    """

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),  # how Python 3 pickles bytes at protocol 2
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(_("refusing to load {name}").format(name=f"{module}.{name}"))
        return super().find_class(module, name)


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as f:
            entry = _NumpyOnlyUnpickler(f, encoding="latin1").load()
        data = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = np.asarray(entry.get("labels", entry.get("fine_labels")), dtype=np.int64)
    except FileNotFoundError:
        raise DataError(_("{path} is missing").format(path=path),
                        _("the {folder} folder needs data_batch_1..5 and test_batch").format(
                            folder=TORCHVISION_DIR)) from None
    except Exception as err:  # truncated, foreign or malicious file: all one message
        raise DataError(_("{path} is not a readable CIFAR-10 batch ({reason})").format(
            path=path, reason=f"{type(err).__name__}: {err}"),
            _("delete the folder and unpack cifar-10-python.tar.gz again ({url})").format(url=CIFAR10_URL)) from None
    return data, labels


def load_torchvision_dir(folder: Path) -> ImageData:
    """torchvision's `cifar-10-batches-py/` (data_batch_1..5, test_batch, batches.meta)."""
    train = [_read_batch(folder / name) for name in TORCHVISION_TRAIN]
    test = _read_batch(folder / TORCHVISION_TEST[0])
    images = np.concatenate([b[0] for b in train])
    labels = np.concatenate([b[1] for b in train])
    return ImageData(_split(images, labels, str(folder), 10), _split(*test, str(folder), 10),
                       CIFAR10_CLASSES, str(folder), "torchvision")


def load_dir(folder: Path) -> ImageData | None:
    """CIFAR-10 from `folder` in whichever layout it holds, or None when it holds none."""
    found = detect_layout(folder)
    if found is None:
        return None
    layout, where = found
    return load_npz_dir(where) if layout == "npz" else load_torchvision_dir(where)


def load_sample() -> ImageData:
    """The embedded sample: 2,000 train / 500 test real CIFAR-10 images, 200 / 50 per class."""
    ref = resources.files("torchstart.data") / "samples" / SAMPLE_FILE
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as arrays:
        classes = tuple(str(c) for c in arrays["classes"])
        train = _split(arrays["train_images"], arrays["train_labels"], "embedded sample", len(classes))
        test = _split(arrays["test_images"], arrays["test_labels"], "embedded sample", len(classes))
    return ImageData(train, test, classes, "embedded sample", "sample")


def download(root: Path) -> ImageData:
    """torchvision's own download of the official archive into `root`; one clear error if it fails."""
    import torchvision

    try:
        for train in (True, False):
            torchvision.datasets.CIFAR10(str(root), train=train, download=True)
    except Exception as err:  # URLError, HTTPError, timeouts, checksum mismatch, disk full …
        raise DataError(_("downloading CIFAR-10 failed ({reason})").format(reason=f"{type(err).__name__}: {err}"),
                        _("on a machine with internet fetch {url}, unpack it and pass --data-dir to the folder "
                          "holding {folder}/ (or copy it to {root})").format(
                            url=CIFAR10_URL, folder=TORCHVISION_DIR, root=root)) from None
    return load_torchvision_dir(root / TORCHVISION_DIR)


def search_dirs() -> list[Path]:
    """The folders searched for CIFAR-10 when no data_dir is given, in order (source 2 of the docstring)."""
    candidates = []
    if os.environ.get("TORCHSTART_DATA"):
        env = Path(os.environ["TORCHSTART_DATA"]).expanduser()
        candidates += [env, env / "cifar10"]
    candidates.append(cache_dir() / "cifar10")
    return candidates


def find_cifar10(data_dir: Path | None = None, download_ok: bool = False) -> ImageData:
    """CIFAR-10 from the first source that exists (see the module docstring for the order)."""
    if data_dir is not None:
        data_dir = check_input(Path(data_dir).expanduser(), expect="dir", what="--data-dir", error=DataError,
                               fix=_("pass the folder that holds cifar-10-batches-py/ or train.npz + test.npz"))
        data = load_dir(data_dir)
        if data is None:
            raise DataError(_("--data-dir {path} holds no CIFAR-10").format(path=data_dir),
                            _("it must contain {folder}/ (torchvision layout) or train.npz + test.npz").format(
                                folder=TORCHVISION_DIR))
        return data
    for folder in search_dirs():
        if folder.is_dir():
            data = load_dir(folder)
            if data is not None:
                return data
    if download_ok:
        return download(cache_dir() / "cifar10")
    return load_sample()


class CifarDataset(Dataset):
    """A map-style `torch.utils.data.Dataset` over one split, for DataLoader-based code and lessons.

    Without a transform an item is (float tensor (3, 32, 32) in [0, 1], label) — what
    `transforms.ToTensor()` gives; with one, the transform receives a PIL image, as torchvision's
    CIFAR10 dataset does.
    """

    def __init__(self, split: ArraySplit, transform=None) -> None:
        self.split = split
        self.transform = transform

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, index: int):
        hwc = self.split.images[index]
        label = int(self.split.labels[index])
        if self.transform is None:
            return hwc.permute(2, 0, 1).float().div(255), label
        from PIL import Image

        return self.transform(Image.fromarray(hwc.numpy())), label
