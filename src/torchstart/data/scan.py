"""What is in a folder of images: its layout, its class folders and which files are usable.

    photos/train/ants/*.jpg  photos/train/bees/*.jpg      split layout (val/ optional)
    photos/val/ants/*.jpg    photos/val/bees/*.jpg
    photos/ants/*.jpg        photos/bees/*.jpg            flat layout

`scan_image_folder` checks a whole `root/<class>/<image>` tree before any training starts: every
file is decoded once, and the ones that cannot be used come back as a list to report, so a bad
file never stops an epoch half way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..files import KIND_WORDS, check_input, os_error_cause, path_kind
from ..i18n import N_, _, ngettext
from .images import image_problem

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")
TRAIN_DIRS, VAL_DIRS = ("train",), ("val", "valid", "validation", "test")


def image_files(folder: Path | str) -> list[str]:
    """Names of the image files in `folder`, sorted, so every run sees the same order."""
    folder = check_input(folder, expect="dir", what=N_("image folder"), error=DataError,
                         fix=_("check the path; the label is the name of a folder of images"))
    return sorted(name for name in os.listdir(folder)
                  if name.lower().endswith(IMAGE_SUFFIXES) and (folder / name).is_file())


@dataclass(frozen=True)
class FolderScan:
    """What `scan_image_folder` found under `root`."""

    root: Path
    classes: tuple[str, ...]  # class folder names, sorted; a class index is a position in this tuple
    samples: tuple[tuple[Path, int], ...]  # (image file, class index), by class then file name
    skipped: tuple[tuple[Path, str], ...]  # (file left out, why), e.g. "could not be decoded (…)"

    def counts(self) -> dict[str, int]:
        """Images per class, in class-index order."""
        counts = dict.fromkeys(self.classes, 0)
        for _path, index in self.samples:
            counts[self.classes[index]] += 1
        return counts

    def describe(self) -> str:
        """One line: how many images of which classes, and how many files were left out."""
        per_class = ", ".join(f"{name} {n}" for name, n in self.counts().items())
        line = ngettext("found {n} image in {classes} classes ({per_class}) under {root}",
                        "found {n} images in {classes} classes ({per_class}) under {root}", len(self.samples)).format(
            n=len(self.samples), classes=len(self.classes), per_class=per_class, root=self.root)
        if self.skipped:
            line += ngettext("; skipped {n} file", "; skipped {n} files", len(self.skipped)).format(n=len(self.skipped))
        return line

    def skipped_lines(self) -> list[str]:
        """One line per file left out, naming the file and the reason: print these at the end of a run."""
        return [_("skipped {path}: {reason}").format(path=path, reason=reason) for path, reason in self.skipped]


def _class_folder_entries(folder: Path, decode: bool) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(usable image files, skipped (file, reason)) directly inside one class folder."""
    images, skipped = [], []
    for name in sorted(os.listdir(folder)):
        path = folder / name
        if name.startswith("."):  # .DS_Store, .ipynb_checkpoints, editor swap files: not data
            continue
        try:
            kind = path_kind(path)
        except OSError as err:  # a link loop, a name the OS refuses, no permission
            skipped.append((path, os_error_cause(err)[0]))
            continue
        if kind == "dir":
            skipped.append((path, _("is a folder inside a class folder (only files directly inside are read)")))
        elif kind == "broken-link":
            skipped.append((path, _("is a link to {target}, which does not exist").format(target=os.readlink(path))))
        elif kind != "file":
            skipped.append((path, _("is {kind}, not a regular file").format(kind=_(KIND_WORDS[kind]))))
        elif not name.lower().endswith(IMAGE_SUFFIXES):
            suffixes = ", ".join(IMAGE_SUFFIXES)
            skipped.append((path, _("is not an image file type ({suffixes})").format(suffixes=suffixes)))
        elif decode and (problem := image_problem(path)) is not None:
            skipped.append((path, problem))
        else:
            images.append(path)
    return images, skipped


def scan_image_folder(root: Path | str, *, decode: bool = True) -> FolderScan:
    """Classes and images of `root/<class name>/<image>`, every image checked to decode (`decode=False`: names only).

    Unreadable or non-image files are left out and listed in `FolderScan.skipped`. A class folder
    with no usable image is an error rather than a silent skip: dropping it would shift the index
    of every class after it, so a model trained on the folder would mean something else by "class 3".
    Hidden files and folders (names starting with ".") are ignored.
    """
    root = check_input(root, expect="dir", what=N_("image folder"), error=DataError,
                       fix=_("pass the folder that holds one sub-folder of images per class"))
    classes = sorted(name for name in os.listdir(root) if not name.startswith(".") and (root / name).is_dir())
    if not classes:
        loose = len(image_files(root))
        cause = ngettext("{path} has no class folders (it holds {n} image directly)",
                         "{path} has no class folders (it holds {n} images directly)", loose) if loose else \
            _("{path} has no class folders")
        example = f"{root / 'ants'}/*.jpg, {root / 'bees'}/*.jpg"  # not text: the paths to make
        raise DataError(cause.format(path=root, n=loose),
                        _("put each class's images in its own folder: {example}").format(example=example))
    samples: list[tuple[Path, int]] = []
    skipped: list[tuple[Path, str]] = []
    for index, name in enumerate(classes):
        images, left_out = _class_folder_entries(root / name, decode)
        if not images:
            cause = _("class folder {path} has no usable images").format(path=root / name)
            if left_out:
                cause = ngettext("{cause} ({n} file left out, e.g. {file} {reason})",
                                 "{cause} ({n} files left out, e.g. {file} {reason})", len(left_out)).format(
                    cause=cause, n=len(left_out), file=left_out[0][0].name, reason=left_out[0][1])
            raise DataError(cause,
                            _("add images to it or remove the folder (an empty class would shift the class indices)"))
        samples += [(path, index) for path in images]
        skipped += left_out
    return FolderScan(root, tuple(classes), tuple(samples), tuple(skipped))


@dataclass(frozen=True)
class FolderLayout:
    kind: str  # "split" (train/ and val/ folders) or "flat" (class folders directly under root)
    train_root: Path
    val_root: Path | None  # None: the validation images are split off the training folders


def _has_class_folders(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_dir() and not p.name.startswith(".") for p in folder.iterdir())


def detect_folder_layout(root: Path) -> FolderLayout | None:
    """The image-folder layout of `root`, or None when it holds no class folders at all."""
    train = next((root / d for d in TRAIN_DIRS if _has_class_folders(root / d)), None)
    if train is not None:
        val = next((root / d for d in VAL_DIRS if _has_class_folders(root / d)), None)
        return FolderLayout("split", train, val)
    return FolderLayout("flat", root, None) if _has_class_folders(root) else None
