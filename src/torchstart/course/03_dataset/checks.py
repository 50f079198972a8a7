"""Exercise 3 (dataset): the course's Dataset on the embedded ants/bees sample — length, items, ants + bees."""

from __future__ import annotations

import os
from types import ModuleType

from PIL import Image

from torchstart.course.kit import Check, Mistake, Wrong, item_pair
from torchstart.data.hymenoptera import hymenoptera_sample_root
from torchstart.i18n import N_, _


def _train() -> str:
    return str(hymenoptera_sample_root() / "train")


def _files(label: str) -> int:
    return len(os.listdir(os.path.join(_train(), label)))


def check_length(ex: ModuleType) -> None:
    got, want = len(ex.MyData(_train(), "ants")), _files("ants")
    if got == len(os.listdir(_train())):
        raise Wrong(_("len(MyData(train, \"ants\")) is {got}, the number of class folders: count the images in "
                      "root_dir/label_dir, here {want}").format(got=got, want=want))
    if got != want:
        raise Wrong(_("len(MyData(train, \"ants\")) is {got}, but train/ants holds {want} images").format(
            got=got, want=want))


def check_lazy(ex: ModuleType) -> None:
    opened = []
    original = Image.open

    def counting_open(*args, **kwargs):
        opened.append(args[0] if args else kwargs.get("fp"))
        return original(*args, **kwargs)

    Image.open = counting_open
    try:
        ex.MyData(_train(), "ants")
    finally:
        Image.open = original
    if opened:
        raise Wrong(_("MyData(train, \"ants\") opened {count} images in __init__: keep only the file names there "
                      "and open one image in __getitem__ — a real data set does not fit in memory").format(
                          count=len(opened)))


def check_items(ex: ModuleType) -> None:
    ants = ex.MyData(_train(), "ants")
    for index in range(len(ants)):
        image, label = item_pair(ants, index)
        if label != "ants":
            raise Wrong(_("item {index} has the label {label!r}: the label is the folder name, \"ants\"").format(
                index=index, label=label))
        if not isinstance(image, Image.Image):
            raise Wrong(_("item {index}'s image is {kind}: return the PIL image Image.open gives").format(
                index=index, kind=type(image).__name__))
        if image.mode != "RGB":
            raise Wrong(_("item {index} has mode {mode}, not RGB: train/ants holds a palette GIF — return "
                          "image.convert(\"RGB\")").format(index=index, mode=image.mode))


def check_train_set(ex: ModuleType) -> None:
    train = ex.train_set(_train())
    want = _files("ants") + _files("bees")
    if len(train) != want:
        raise Wrong(_("train_set has {got} images, expected {want} (ants + bees)").format(got=len(train), want=want))
    first, last = item_pair(train, 0)[1], item_pair(train, len(train) - 1)[1]
    if (first, last) != ("ants", "bees"):
        raise Wrong(_("the first label is {first!r} and the last {last!r}, expected \"ants\" and \"bees\": join "
                      "ants + bees, in that order").format(first=first, last=last))


CHECKS = (
    Check(N_("len(MyData(train, \"ants\")) is the number of images in train/ants"), check_length, ("MyData",)),
    Check(N_("MyData opens no image in __init__: each one is opened in __getitem__, when it is asked for"),
          check_lazy, ("MyData",)),
    Check(N_("every item of MyData(train, \"ants\") is (an RGB PIL image, \"ants\")"), check_items, ("MyData",)),
    Check(N_("train_set(train) is ants + bees: every image, ants first, bees last"), check_train_set,
          ("MyData", "train_set")),
)

MISTAKES = (
    Mistake(N_("every image opened in __init__ instead of in __getitem__"),
            "        self.img_names = sorted(os.listdir(self.path))\n",
            "        self.img_names = sorted(os.listdir(self.path))\n"
            "        self.images = [Image.open(os.path.join(self.path, name)) for name in self.img_names]\n",
            "images in __init__"),
    Mistake(N_("the length of the root folder (2 class folders) instead of the images"),
            "return len(self.img_names)", "return len(os.listdir(self.root_dir))", "number of class folders"),
    Mistake(N_("the palette GIF returned as it is"), 'return image.convert("RGB"), self.label_dir',
            "return image, self.label_dir", "palette GIF"),
    Mistake(N_("the ants twice instead of ants + bees"), 'MyData(root_dir, "ants") + MyData(root_dir, "bees")',
            'MyData(root_dir, "ants") + MyData(root_dir, "ants")', "in that order"),
)
