"""Cut the embedded CIFAR-10 sample that ships inside the package.

The sample lets `torchstart train` run offline on a fresh machine. It holds real CIFAR-10
images (not noise), balanced over the 10 classes, picked at random with a fixed seed so that
running this script again gives the same sample.

    python scripts/make_cifar_sample.py ../shared/data/cifar10 src/torchstart/data/samples

Writes cifar10_sample.npz (images uint8 N×32×32×3 RGB, labels int64, classes) and prints
the sha256 of the array bytes for SAMPLE.md.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

TRAIN_PER_CLASS = 200  # 10 classes → 2,000 training images
TEST_PER_CLASS = 50  # → 500 test images
SEED = 20241107


def pick_balanced(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of `per_class` random images of every class, interleaved so classes are mixed."""
    chosen = [np.sort(rng.choice(np.flatnonzero(labels == c), per_class, replace=False))
              for c in range(int(labels.max()) + 1)]
    return np.stack(chosen, axis=1).reshape(-1)  # (per_class * 10,): c0, c1, …, c9, c0, …


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder with train.npz, test.npz, classes.txt")
    parser.add_argument("dest", type=Path, help="folder to write cifar10_sample.npz into")
    args = parser.parse_args()

    rng = np.random.default_rng(SEED)
    classes = (args.source / "classes.txt").read_text(encoding="utf-8").split()
    out = {}
    for split, per_class in (("train", TRAIN_PER_CLASS), ("test", TEST_PER_CLASS)):
        with np.load(args.source / f"{split}.npz") as arrays:
            images, labels = arrays["images"], arrays["labels"]
        idx = pick_balanced(labels, per_class, rng)
        out[f"{split}_images"] = np.ascontiguousarray(images[idx])
        out[f"{split}_labels"] = labels[idx].astype(np.int64)
        out[f"{split}_source_index"] = idx.astype(np.int64)
    out["classes"] = np.array(classes)
    args.dest.mkdir(parents=True, exist_ok=True)
    path = args.dest / "cifar10_sample.npz"
    np.savez_compressed(path, **out)
    for key in ("train_images", "train_labels", "test_images", "test_labels"):
        print(key, out[key].shape, hashlib.sha256(out[key].tobytes()).hexdigest())
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
