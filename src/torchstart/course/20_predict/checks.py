"""Exercise 20 (predict): `prepare` on RGB, RGBA and grayscale images; `predict` names the model's top class."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

from torchstart.course.kit import (
    Check,
    Mistake,
    Wrong,
    ant_photo,
    cifar_sample,
    close,
    dropout_batchnorm_model,
    evaluation_mode,
    seeded,
    shape,
    tensor_of,
    watching,
)
from torchstart.data import CIFAR10_CLASSES
from torchstart.i18n import N_, _
from torchstart.models import Tudui

REFERENCE = transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor()])  # the course's test.py


def _photo() -> Image.Image:
    path = ant_photo()
    with Image.open(path) as image:
        return image.convert("RGB")  # not square, so Resize(32) and Resize((32, 32)) differ


def _prepared(ex: ModuleType, image: Image.Image, what: str) -> torch.Tensor:
    got = tensor_of(ex.prepare(image.copy()), "prepare")
    want = REFERENCE(image.convert("RGB")).unsqueeze(0)
    if tuple(got.shape) == tuple(want.shape[1:]):
        raise Wrong(_("{what} gives {got}: add the batch dimension, x.unsqueeze(0) → (1, 3, 32, 32)").format(
            what=what, got=shape(got)))
    if got.dim() == 4 and got.shape[1] != 3:
        raise Wrong(_("{what} gives {got}: {channels} channels — convert the image to RGB first, "
                      "image.convert(\"RGB\")").format(what=what, got=shape(got), channels=got.shape[1]))
    if got.dim() == 4 and got.shape[2] == 32 and got.shape[3] != 32:
        raise Wrong(_("{what} gives {got}: Resize(32) keeps the aspect ratio — Resize((32, 32)) makes it "
                      "square").format(what=what, got=shape(got)))
    if tuple(got.shape) != tuple(want.shape):
        raise Wrong(_("{what} gives {got}, expected (1, 3, 32, 32)").format(what=what, got=shape(got)))
    if not close(got, want, atol=1e-6):
        raise Wrong(_("{what}: your values differ from Resize((32, 32)) + ToTensor by up to {diff:.3g}").format(
            what=what, diff=float((got - want).abs().max())))
    return got


def check_rgb(ex: ModuleType) -> None:
    _prepared(ex, _photo(), _("an RGB photo"))


def check_other_modes(ex: ModuleType) -> None:
    photo = _photo()
    rgba = photo.copy()
    rgba.putalpha(128)
    _prepared(ex, rgba, _("a PNG with transparency (RGBA)"))
    _prepared(ex, photo.convert("L"), _("a grayscale image"))


def check_predict(ex: ModuleType) -> None:
    with seeded(20):
        model = Tudui().eval()
    classes = list(CIFAR10_CLASSES)
    test = cifar_sample().test
    for index in range(8):
        image = Image.fromarray(np.asarray(test.images[index]))
        got = ex.predict(model, image, classes)
        with torch.no_grad():
            want = classes[int(model(REFERENCE(image).unsqueeze(0)).argmax(dim=1))]
        if not isinstance(got, str):
            raise Wrong(_("predict returned {got!r}: return the class name, classes[index]").format(got=got))
        if got != want:
            raise Wrong(_("for test image {index} you said {got!r}, the model's highest score is for {want!r}: take "
                          "the argmax over the classes (dim=1)").format(index=index, got=got, want=want))


def check_predict_mode(ex: ModuleType) -> None:
    model = dropout_batchnorm_model(20).train()  # handed over in training mode, as a training loop leaves it
    with seeded(20), watching(model) as forwards:
        got = ex.predict(model, _photo(), list(CIFAR10_CLASSES))
    evaluation_mode(forwards, "predict")
    with torch.no_grad():
        want = CIFAR10_CLASSES[int(model(REFERENCE(_photo()).unsqueeze(0)).argmax(dim=1))]
    if got != want:
        raise Wrong(_("for the ant photo and a model with Dropout and BatchNorm you said {got!r}, the model in eval "
                      "mode says {want!r}").format(got=got, want=want))


CHECKS = (
    Check(N_("prepare turns an ant photo into (1, 3, 32, 32), like Resize((32, 32)) + ToTensor"), check_rgb,
          ("prepare",)),
    Check(N_("prepare turns RGBA and grayscale images into 3 channels too"), check_other_modes, ("prepare",)),
    Check(N_("predict returns the name of the class with the highest score"), check_predict,
          ("prepare", "predict")),
    Check(N_("predict runs the model in eval mode (Dropout and BatchNorm) and under torch.no_grad()"),
          check_predict_mode, ("prepare", "predict")),
)

MISTAKES = (
    Mistake(N_("no conversion to RGB"), 'image = image.convert("RGB")', "image = image", "convert the image to RGB"),
    Mistake(N_("Resize(32), which keeps the aspect ratio"), "transforms.Resize((32, 32))", "transforms.Resize(32)",
            "keeps the aspect ratio"),
    Mistake(N_("no batch dimension"), "return x.unsqueeze(0)", "return x", "add the batch dimension"),
    Mistake(N_("model.eval() left out: a model with Dropout gives random answers"), "    model.eval()\n", "",
            "call model.eval()"),
    Mistake(N_("predict without torch.no_grad()"), "    with torch.no_grad():\n        scores",
            "    if True:\n        scores", "torch.no_grad()"),
    Mistake(N_("the index returned instead of the class name"), "return classes[scores.argmax(dim=1).item()]",
            "return scores.argmax(dim=1).item()", "return the class name"),
)
