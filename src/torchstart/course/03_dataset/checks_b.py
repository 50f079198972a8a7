"""Exercise 3b (dataset): images in one folder, each label in the text file of the same name in another — on
folders the check writes, with label files of images that are not there (as after a clean-up)."""

from __future__ import annotations

import os
import tempfile
from types import ModuleType

from hypothesis import strategies as st
from PIL import Image

from torchstart.course.kit import Check, Mistake, Wrong, generated, item_pair
from torchstart.i18n import N_, _

WORDS = ("ants", "bees", "蚂蚁", "蜜蜂")  # the labels the written files hold
COURSE = ([("0013035", "RGB", "ants"), ("1030023", "L", "ants"), ("16838648", "RGB", "bees")], ["0000000"])


def _write(root: str, images: list[tuple[str, str, str]], strays: list[str]) -> None:
    """root/images/<stem>.png (image i's first pixel has red value 20 + 30·i) and root/labels/<stem>.txt (the label
    and a newline, as an editor saves it); a stray is a label file whose image is not there."""
    os.makedirs(os.path.join(root, "images")), os.makedirs(os.path.join(root, "labels"))
    for i, (stem, mode, _label) in enumerate(images):
        value = 20 + 30 * i
        colour = value if mode == "L" else (value, 255 - value, 0)  # not text
        Image.new(mode, (3, 2), colour).save(os.path.join(root, "images", f"{stem}.png"))
    for stem, label in [(stem, label) for stem, _mode, label in images] + [(stem, "stray") for stem in strays]:
        with open(os.path.join(root, "labels", f"{stem}.txt"), "w", encoding="utf-8") as file:
            file.write(label + "\n")


def _folders(images: list[tuple[str, str, str]], strays: list[str]) -> str:
    """The folders as the hint shows them: (images: ['a.png'], labels: ['0.txt', 'a.txt'])."""
    pictures = sorted(f"{stem}.png" for stem, _mode, _label in images)
    labels = sorted(f"{stem}.txt" for stem in [*(stem for stem, _m, _l in images), *strays])
    return _("(images: {images}, labels: {labels})").format(images=pictures, labels=labels)


def _one_item(index: int, image: object, label: object, images: list, where: str) -> None:
    if not isinstance(image, Image.Image):
        raise Wrong(_("item {index}'s image is {kind}: return the PIL image Image.open gives").format(
            index=index, kind=type(image).__name__))
    if image.mode != "RGB":
        raise Wrong(_("item {index} has mode {mode}, not RGB: some images are greyscale — return "
                      "image.convert(\"RGB\") {where}").format(index=index, mode=image.mode, where=where))
    which = (image.getpixel((0, 0))[0] - 20) // 30  # the image's number, from its first pixel (see _write)
    if not 0 <= which < len(images):
        raise Wrong(_("item {index}'s image is none of the image folder's {where}").format(index=index, where=where))
    stem, _mode, want = images[which]
    if isinstance(label, str) and label != want and label.strip() == want:
        raise Wrong(_("item {index}'s label is {label!r}: the file ends with a newline, which is not part of the "
                      "label — .strip() what you read {where}").format(index=index, label=label, where=where))
    if label != want:
        raise Wrong(_("item {index} is {stem}.png with the label {label!r}, but {stem}.txt says {want!r}: open the "
                      "label file with the image's own name (os.path.splitext), not the i-th file of the label "
                      "folder {where}").format(index=index, stem=stem, label=label, want=want, where=where))


def _compare_items(ex: ModuleType, images: list[tuple[str, str, str]], strays: list[str]) -> None:
    where = _folders(images, strays)
    with tempfile.TemporaryDirectory() as root:
        _write(root, images, strays)
        dataset = ex.LabelledImages(root, "images", "labels")
        for index in range(len(images)):
            image, label = item_pair(dataset, index)
            _one_item(index, image, label, images, where)


def _compare_length(ex: ModuleType, images: list[tuple[str, str, str]], strays: list[str]) -> None:
    with tempfile.TemporaryDirectory() as root:
        _write(root, images, strays)
        got = len(ex.LabelledImages(root, "images", "labels"))
    if got == len(images) + len(strays) != len(images):
        raise Wrong(_("len() is {got}, the number of label files: count the images — a label file whose image was "
                      "removed is no item {where}").format(got=got, where=_folders(images, strays)))
    if got != len(images):
        raise Wrong(_("len() is {got}, but the image folder holds {want} images {where}").format(
            got=got, want=len(images), where=_folders(images, strays)))


@st.composite
def _cases(draw) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Up to 4 images (name, RGB or greyscale, label) and up to 2 label files without an image."""
    stems = draw(st.lists(st.text("ab01", min_size=1, max_size=3), min_size=1, max_size=6, unique=True))
    count = draw(st.integers(1, min(4, len(stems))))
    images = [(stem, draw(st.sampled_from(("RGB", "L"))), draw(st.sampled_from(WORDS))) for stem in stems[:count]]
    return images, stems[count:count + 2]


def check_length(ex: ModuleType) -> None:
    _compare_length(ex, *COURSE)
    generated(_cases(), lambda *case: _compare_length(ex, *case), examples=15)


def check_lazy(ex: ModuleType) -> None:
    opened, original = [], Image.open

    def counting_open(*args, **kwargs):
        opened.append(args[0] if args else kwargs.get("fp"))
        return original(*args, **kwargs)

    with tempfile.TemporaryDirectory() as root:
        _write(root, *COURSE)
        Image.open = counting_open
        try:
            ex.LabelledImages(root, "images", "labels")
        finally:
            Image.open = original
    if opened:
        raise Wrong(_("LabelledImages(…) opened {count} images in __init__: keep only the file names there and "
                      "open one image in __getitem__").format(count=len(opened)))


def check_items(ex: ModuleType) -> None:
    _compare_items(ex, *COURSE)
    generated(_cases(), lambda *case: _compare_items(ex, *case), examples=25)


CHECKS = (
    Check(N_("len() is the number of images, whatever the label folder holds"), check_length, ("LabelledImages",)),
    Check(N_("LabelledImages opens no image in __init__"), check_lazy, ("LabelledImages",)),
    Check(N_("every item is (the RGB image, the text of the label file with the image's name)"), check_items,
          ("LabelledImages",)),
)

MISTAKES = (
    Mistake(N_("the label read with its newline"), "label = file.read().strip()", "label = file.read()",
            "ends with a newline"),
    Mistake(N_("the i-th label file taken for the i-th image"), 'self.label_path, stem + ".txt"',
            "self.label_path, sorted(os.listdir(self.label_path))[index]", "image's own name"),
    Mistake(N_("the number of label files as the length"), "return len(self.img_names)",
            "return len(os.listdir(self.label_path))", "number of label files"),
    Mistake(N_("a greyscale image returned as it is"), '.convert("RGB")\n', "\n", "not RGB"),
    Mistake(N_("every image opened in __init__ instead of in __getitem__"),
            "        self.img_names = sorted(os.listdir(self.image_path))\n",
            "        self.img_names = sorted(os.listdir(self.image_path))\n"
            "        self.images = [Image.open(os.path.join(self.image_path, n)) for n in self.img_names]\n",
            "images in __init__"),
)
