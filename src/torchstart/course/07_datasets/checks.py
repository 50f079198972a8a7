"""Exercise 7 (datasets): the `Cifar` Dataset and `make_loader` on the embedded CIFAR-10 sample's test images."""

from __future__ import annotations

from functools import cache
from numbers import Integral
from types import ModuleType

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

from torchstart.course.kit import Check, Mistake, Wrong, cifar_sample, close, shape
from torchstart.i18n import N_, _

COURSE_TRANSFORM = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])


@cache
def _arrays() -> tuple[np.ndarray, np.ndarray]:
    """The sample's 500 test images (N, 32, 32, 3) uint8 and labels (N,), as NumPy arrays."""
    test = cifar_sample().test
    return test.images.numpy(), test.labels.numpy()


def check_length(ex: ModuleType) -> None:
    images, labels = _arrays()
    got = len(ex.Cifar(images, labels))
    if got == images.shape[1]:
        raise Wrong(_("len() is {got}, the height of one image: return the number of images, "
                      "len(self.labels)").format(got=got))
    if got != len(labels):
        raise Wrong(_("len() is {got}, expected {want} (one per image)").format(got=got, want=len(labels)))


def _pair(item: object) -> tuple[object, object]:
    if not isinstance(item, tuple) or len(item) != 2:
        raise Wrong(_("an item is {kind}: return a pair (image, label)").format(kind=type(item).__name__))
    return item


def check_item(ex: ModuleType) -> None:
    images, labels = _arrays()
    for index in (0, 7, len(labels) - 1):
        image, label = _pair(ex.Cifar(images, labels)[index])
        if not isinstance(image, Image.Image):
            raise Wrong(_("without a transform item {index}'s image is {kind}: return Image.fromarray(…), a PIL "
                          "image, as torchvision does").format(index=index, kind=type(image).__name__))
        if not np.array_equal(np.asarray(image), images[index]):
            raise Wrong(_("item {index}'s image is not image {index} of the array").format(index=index))
        if not isinstance(label, Integral) or int(label) != int(labels[index]):
            raise Wrong(_("item {index}'s label is {got!r}, expected {want} (an int)").format(
                index=index, got=label, want=int(labels[index])))


class _Spy:
    """COURSE_TRANSFORM that remembers the type of each input it was given."""

    def __init__(self) -> None:
        self.given: list[str] = []

    def __call__(self, image):
        self.given.append(type(image).__name__)
        return COURSE_TRANSFORM(image)


def check_transform(ex: ModuleType) -> None:
    images, labels = _arrays()
    spy = _Spy()
    dataset = ex.Cifar(images, labels, transform=spy)
    if spy.given:
        raise Wrong(_("the transform ran {count} times while the data set was made: run it in __getitem__, once "
                      "per item, so a random transform differs every time").format(count=len(spy.given)))
    image, _label = _pair(dataset[3])
    if isinstance(image, Image.Image):
        raise Wrong(_("item 3 is still a PIL image although a transform was given: apply self.transform to it"))
    if spy.given != ["Image"]:
        raise Wrong(_("the transform was given {kinds} for one item: give it the PIL image once, "
                      "self.transform(Image.fromarray(…))").format(kinds=", ".join(spy.given) or _("nothing")))
    want = COURSE_TRANSFORM(Image.fromarray(images[3]))
    if not isinstance(image, torch.Tensor) or not close(image, want, atol=1e-6):
        raise Wrong(_("item 3 is {got}, expected the (3, 32, 32) tensor the transform makes of the PIL "
                      "image").format(got=shape(image)))


def check_loader(ex: ModuleType) -> None:
    images, labels = _arrays()
    dataset = ex.Cifar(images, labels, transform=COURSE_TRANSFORM)
    torch.manual_seed(0)
    batch, batch_labels = next(iter(ex.make_loader(dataset, batch_size=64)))
    if tuple(batch.shape) != (64, 3, 32, 32) or tuple(batch_labels.shape) != (64,):
        raise Wrong(_("the first batch is {got} with labels {labels}, expected (64, 3, 32, 32) and (64,)").format(
            got=shape(batch), labels=shape(batch_labels)))
    if batch_labels.tolist() == labels[:64].tolist():
        raise Wrong(_("the first batch is the first 64 images in order: shuffle them, shuffle=True"))
    small, _small_labels = next(iter(ex.make_loader(dataset, batch_size=10)))
    if len(small) != 10:
        raise Wrong(_("make_loader(dataset, batch_size=10) gave a batch of {got}: pass batch_size on to the "
                      "DataLoader").format(got=len(small)))


CHECKS = (
    Check(N_("len(Cifar(images, labels)) is the number of images (500)"), check_length, ("Cifar",)),
    Check(N_("without a transform an item is (the PIL image, its class index)"), check_item, ("Cifar",)),
    Check(N_("with ToTensor + Normalize(0.5, 0.5) an item's image is the (3, 32, 32) tensor"), check_transform,
          ("Cifar",)),
    Check(N_("make_loader gives shuffled (64, 3, 32, 32) batches, or batch_size of them"), check_loader,
          ("Cifar", "make_loader")),
)

MISTAKES = (
    Mistake(N_("the length of one image instead of the data set"), "return len(self.labels)",
            "return len(self.images[0])", "height of one image"),
    Mistake(N_("the transform never applied"), "if self.transform is not None:", "if False:",
            "apply self.transform"),
    Mistake(N_("a loader that does not shuffle"), "shuffle=True", "shuffle=False", "shuffle=True"),
    Mistake(N_("the transform given the NumPy array, not the PIL image"), "image = self.transform(image)",
            "image = self.transform(self.images[index])", "give it the PIL image"),
    Mistake(N_("the transform run once for all images when the data set is made"),
            "        self.transform = transform\n",
            "        self.transform = transform\n        if transform is not None:\n"
            "            self.images = [transform(Image.fromarray(a)) for a in images]\n",
            "while the data set was made"),
    Mistake(N_("batch_size not passed on"), "batch_size=batch_size", "batch_size=64", "pass batch_size on"),
)
