"""The course's ants/bees set (hymenoptera_data) and the course's own Dataset for it: the folder name is the label.

    hymenoptera_data/train/ants/0013035.jpg      label "ants"
    hymenoptera_data/train/bees/16838648_415acd9e3f.jpg   label "bees"

`LabelFolder` is the course's custom Dataset, written so it survives real folders: files are
listed in a stable order, anything that is not an image file is left out, and every image comes
back as RGB (the set holds a palette GIF, which would otherwise give a 1-channel tensor).
A small real sample of the set ships inside the package, so lessons run offline.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from torch.utils.data import Dataset

from ..errors import DataError
from ..files import check_input
from ..i18n import _
from .images import open_rgb
from .scan import image_files


def hymenoptera_sample_root() -> Path:
    """The small real ants/bees sample shipped inside the package (train/ and val/, 2 classes)."""
    return Path(str(resources.files("torchstart.data") / "samples" / "hymenoptera"))


def hymenoptera_root(data_dir: Path | str | None = None) -> Path:
    """`data_dir` (the full set: a folder with train/ants, train/bees, …) or the embedded sample."""
    if data_dir is None:
        return hymenoptera_sample_root()
    fix = _("pass the folder that holds train/ and val/ (e.g. ../shared/data/hymenoptera_data)")
    root = check_input(Path(data_dir), expect="dir", what="--data-dir", error=DataError, fix=fix)
    if not (root / "train" / "ants").is_dir():
        raise DataError(_("{path} has no train/ants folder").format(path=root), fix)
    return root


class LabelFolder(Dataset):
    """The images of `root_dir/label_dir`, each returned as (RGB PIL image or transform(image), label_dir).

    `ants = LabelFolder(root, "ants")` and `bees = LabelFolder(root, "bees")` give two datasets;
    `ants + bees` is a `ConcatDataset` of both, as in the course.
    """

    def __init__(self, root_dir: Path | str, label_dir: str, transform=None) -> None:
        self.root_dir = Path(root_dir)
        self.label_dir = label_dir
        self.path = self.root_dir / label_dir
        self.img_names = image_files(self.path)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.img_names)

    def __getitem__(self, idx: int):
        img = open_rgb(self.path / self.img_names[idx])
        if self.transform is not None:
            img = self.transform(img)
        return img, self.label_dir
