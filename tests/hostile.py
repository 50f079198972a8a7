"""The hostile-file generator: every kind of input a learner (or a stranger) can hand torchstart.

The property tests (test_properties.py) draw from these with Hypothesis; anyone can also write a
folder of them and try the CLI by hand:

    python tests/hostile.py /tmp/hostile        # then e.g. torchstart predict CKPT /tmp/hostile/images/*

Each maker is a plain function of its parameters, so a failing Hypothesis example can be rebuilt.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

# Pillow modes a photo tool can write, with a format that stores each
IMAGE_MODES = {"1": "PNG", "L": "PNG", "LA": "PNG", "P": "GIF", "RGB": "JPEG", "RGBA": "PNG", "CMYK": "JPEG",
               "I;16": "PNG", "I": "TIFF", "F": "TIFF", "YCbCr": "JPEG"}
CORRUPTIONS = ("truncate", "flip", "zero", "garbage")
SPECIAL_FILES = ("fifo", "loop", "dangling", "folder")


def image_bytes(mode: str, width: int, height: int, seed: int) -> bytes:
    """A valid image of `mode` and size, in the format IMAGE_MODES gives for it, from random pixels."""
    rng = np.random.default_rng(seed)
    rgb = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16))
    elif mode in ("I", "F"):
        image = rgb.convert("L").convert(mode)
    else:
        image = rgb.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, IMAGE_MODES[mode])
    return buffer.getvalue()


def corrupt(data: bytes, how: str, at: float, seed: int) -> bytes:
    """`data` damaged: cut at the fraction `at`, a run of flipped bits there, zeros from there on, or garbage."""
    rng = np.random.default_rng(seed)
    cut = int(len(data) * at)
    if how == "truncate":
        return data[:cut]
    if how == "flip":
        noise = rng.integers(1, 256, min(16, len(data) - cut), dtype=np.uint8).tobytes()
        return data[:cut] + bytes(a ^ b for a, b in zip(data[cut:], noise)) + data[cut + len(noise):]
    if how == "zero":
        return data[:cut] + bytes(len(data) - cut)
    return rng.integers(0, 256, max(1, cut), dtype=np.uint8).tobytes()


def npz_arrays(n: int, shape: tuple[int, ...], dtype: str, label_range: tuple[int, int], labels_n: int | None,
               seed: int) -> dict[str, np.ndarray]:
    """The arrays of a train.npz / test.npz: right or wrong in count, shape, dtype and label range."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, *shape)).astype(dtype)
    labels = rng.integers(label_range[0], label_range[1] + 1, n if labels_n is None else labels_n)
    return {"images": images, "labels": labels}


def write_npz_dir(folder: Path, train: dict[str, np.ndarray], test: dict[str, np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "train.npz", **train)
    np.savez(folder / "test.npz", **test)
    return folder


def damaged_checkpoint(checkpoint: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `checkpoint` with `key` replaced by `value` (`value` None: the key removed)."""
    damaged = dict(checkpoint)
    if value is None:
        damaged.pop(key, None)
    else:
        damaged[key] = value
    return damaged


def special_file(folder: Path, kind: str, name: str) -> Path:
    """A path in `folder` that is not a plain file: a named pipe, a link to itself, a dangling link, a folder."""
    path = folder / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "dangling":
        path.symlink_to(folder / f"deleted-{name}")
    else:
        path.mkdir()
    return path


def write_all(root: Path) -> list[Path]:
    """A folder of every kind above, with fixed seeds: images/, npz/<case>/, special/."""
    made = []
    images = root / "images"
    images.mkdir(parents=True, exist_ok=True)
    for i, mode in enumerate(IMAGE_MODES):
        data = image_bytes(mode, 7 + i, 5 + 2 * i, seed=i)
        suffix = IMAGE_MODES[mode].lower().replace("jpeg", "jpg")
        made.append(images / f"{mode.replace(';', '_')}.{suffix}")
        made[-1].write_bytes(data)
        for how in CORRUPTIONS:
            made.append(images / f"{mode.replace(';', '_')}-{how}.{suffix}")
            made[-1].write_bytes(corrupt(data, how, 0.5, seed=i))
    cases = {"float-images": ((32, 32, 3), "float32", (0, 9), None), "grey": ((32, 32), "uint8", (0, 9), None),
             "label-99": ((32, 32, 3), "uint8", (0, 99), None), "short-labels": ((32, 32, 3), "uint8", (0, 9), 3)}
    for name, (shape, dtype, labels, labels_n) in cases.items():
        arrays = npz_arrays(8, shape, dtype, labels, labels_n, seed=0)
        made.append(write_npz_dir(root / "npz" / name, arrays, arrays))
    (root / "special").mkdir(exist_ok=True)
    made += [special_file(root / "special", kind, f"{kind}.jpg") for kind in SPECIAL_FILES]
    return made


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    print(f"wrote {len(write_all(target))} hostile inputs under {target}")
