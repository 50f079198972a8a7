"""Cut the embedded ants/bees sample that ships inside the package.

The course's Dataset and transfer-learning chapters use the `hymenoptera_data` folders
(train/ants, train/bees, val/ants, val/bees). The package carries a small real subset so those
lessons run offline. Photos are picked at random with a fixed seed, shrunk so their longer side
is MAX_SIDE pixels and re-saved as JPEG; file names are kept. Two originals are always kept as
they are, because lessons need them: the GIF (`imageNotFound.gif`, palette mode) and a name with
a space (`ant photos.jpg`, shrunk like the rest).

    python scripts/make_hymenoptera_sample.py ../shared/data/hymenoptera_data src/torchstart/data/samples/hymenoptera
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

from PIL import Image

PER_CLASS = {"train": 40, "val": 20}  # → 80 training and 40 validation images
MAX_SIDE = 224  # pixels; the originals are about 500×375
QUALITY = 85  # JPEG quality of the re-saved photos
SEED = 20241126
ALWAYS = {("train", "ants"): ["imageNotFound.gif", "ant photos.jpg"]}


def pick(files: list[str], n: int, always: list[str], rng: random.Random) -> list[str]:
    rest = sorted(set(files) - set(always))
    return sorted(always + rng.sample(rest, n - len(always)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="hymenoptera_data folder (train/ and val/)")
    parser.add_argument("dest", type=Path, help="folder to write the sample into (replaced)")
    args = parser.parse_args()

    rng = random.Random(SEED)
    if args.dest.exists():
        shutil.rmtree(args.dest)
    for split, n in PER_CLASS.items():
        for label in ("ants", "bees"):
            files = sorted(p.name for p in (args.source / split / label).iterdir() if p.is_file())
            out = args.dest / split / label
            out.mkdir(parents=True)
            for name in pick(files, n, ALWAYS.get((split, label), []), rng):
                src = args.source / split / label / name
                if src.suffix.lower() == ".gif":
                    shutil.copyfile(src, out / name)  # kept as a palette GIF on purpose
                    continue
                with Image.open(src) as image:
                    image = image.convert("RGB")
                    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                    image.save(out / name, "JPEG", quality=QUALITY, optimize=True)
    total = sum(p.stat().st_size for p in args.dest.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in args.dest.rglob('*') if p.is_file())} files, {total / 1e6:.2f} MB to {args.dest}")


if __name__ == "__main__":
    main()
