"""Exercise 6 (transforms): `to_tensor` and `normalize` by hand, against transforms.ToTensor and Normalize."""

from __future__ import annotations

from types import ModuleType

import torch
from PIL import Image
from torchvision import transforms

from torchstart.course.kit import Check, Mistake, Wrong, ant_photo, by_hand, close, shape, tensor_of
from torchstart.i18n import N_, _

HALF = [0.5, 0.5, 0.5]  # the course's mean and std: [0, 1] → [-1, 1]
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])  # a different value per channel: the order matters


def _photo() -> Image.Image:
    path = ant_photo()
    with Image.open(path) as image:
        return image.convert("RGB")  # neither side is 3, so the channels cannot be mistaken for a side


def check_to_tensor(ex: ModuleType) -> None:
    image = _photo()
    want = transforms.ToTensor()(image)
    got = tensor_of(ex.to_tensor(image), "to_tensor")
    if tuple(got.shape) == (image.height, image.width, 3):
        raise Wrong(_("your tensor is {got}, (H, W, C): ToTensor puts the channels first, (C, H, W) — "
                      "permute(2, 0, 1)").format(got=shape(got)))
    if tuple(got.shape) != tuple(want.shape):
        raise Wrong(_("your tensor is {got}, expected {want}").format(got=shape(got), want=shape(want)))
    if got.dtype != torch.float32:
        raise Wrong(_("your tensor is {dtype}: ToTensor gives float32").format(dtype=got.dtype))
    if float(got.max()) > 1.5:
        raise Wrong(_("your values go up to {top:g}: ToTensor divides by 255, to [0, 1]").format(
            top=float(got.max())))
    if not close(got, want, atol=1e-6):
        raise Wrong(_("your values differ from ToTensor's by up to {diff:.3g}").format(
            diff=float((got - want).abs().max())))


def _normalized(ex: ModuleType, x: torch.Tensor, mean: list[float], std: list[float]) -> torch.Tensor:
    try:
        got = ex.normalize(x.clone(), mean, std)
    except RuntimeError as err:
        if "must match the size" not in str(err):
            raise
        raise Wrong(_("mean and std have one value per channel, shape (3,), which lines up with the last "
                      "dimension (the width): reshape them to (3, 1, 1)")) from None
    return tensor_of(got, "normalize")


def check_normalize(ex: ModuleType) -> None:
    x = transforms.ToTensor()(_photo())
    for mean, std in ((HALF, HALF), IMAGENET):
        want = transforms.Normalize(mean, std)(x)
        got = _normalized(ex, x, mean, std)
        if tuple(got.shape) != tuple(want.shape):
            raise Wrong(_("your result is {got}, expected {want} (the same as the input)").format(
                got=shape(got), want=shape(want)))
        if close(got, want, atol=1e-5):
            continue
        m, s = torch.tensor(mean).reshape(3, 1, 1), torch.tensor(std).reshape(3, 1, 1)
        if close(got, (x - m) * s, atol=1e-5):
            raise Wrong(_("you multiplied by std: Normalize computes (x − mean) / std"))
        raise Wrong(_("with mean {mean} and std {std} your values differ from Normalize's by up to {diff:.3g}: "
                      "channel c uses mean[c] and std[c]").format(mean=mean, std=std,
                                                                diff=float((got - want).abs().max())))


CHECKS = (
    Check(N_("to_tensor equals transforms.ToTensor() on an ant photo: (3, H, W), float32 in [0, 1]"),
          check_to_tensor, ("to_tensor",)),
    Check(N_("normalize equals transforms.Normalize with the course's 0.5s and with ImageNet's mean and std"),
          check_normalize, ("normalize",)),
    Check(N_("both are written by hand: no ToTensor, Normalize or their functional forms"),
          by_hand({"ToTensor", "Normalize", "to_tensor", "normalize", "PILToTensor", "pil_to_tensor"},
                  N_("what the transform does"),
                  lambda ex: ex.normalize(ex.to_tensor(_photo()), HALF, HALF)), ("to_tensor", "normalize")),
)

MISTAKES = (
    Mistake(N_("the channels left last, (H, W, C)"), "torch.from_numpy(array).permute(2, 0, 1).contiguous()",
            "torch.from_numpy(array)", "permute(2, 0, 1)"),
    Mistake(N_("transforms.ToTensor() called instead of writing it"), "    array = np.asarray(",
            "    from torchvision import transforms\n    return transforms.ToTensor()(image)\n    array = np.asarray(",
            "by hand"),
    Mistake(N_("pixels not divided by 255"), "np.float32) / 255", "np.float32)", "divides by 255"),
    Mistake(N_("multiplied by std instead of divided"), "return (x - m) / s", "return (x - m) * s", "multiplied"),
    Mistake(N_("mean and std not reshaped to (3, 1, 1)"), "torch.tensor(mean).reshape(-1, 1, 1)",
            "torch.tensor(mean)", "reshape them to (3, 1, 1)"),
)
