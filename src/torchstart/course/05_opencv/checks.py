"""Exercise 5 (opencv): `bgr_to_rgb` and `to_gray` on an ant photo, against cv2.cvtColor."""

from __future__ import annotations

from types import ModuleType

import cv2
import numpy as np

from torchstart.course.kit import Check, Mistake, Wrong, ant_photo, by_hand
from torchstart.i18n import N_, _


def _photo() -> np.ndarray:
    """The first ant photo as OpenCV reads it: BGR uint8 (H, W, 3)."""
    path = ant_photo()
    return cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)


def _array(value: object, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise Wrong(_("{what} returned {kind}, not a NumPy array").format(what=what, kind=type(value).__name__))
    return value


def check_rgb(ex: ModuleType) -> None:
    image = _photo()
    got = _array(ex.bgr_to_rgb(image.copy()), "bgr_to_rgb")
    want = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if got.shape != want.shape:
        raise Wrong(_("your result has shape {got}, expected {want} (the same as the input)").format(
            got=got.shape, want=want.shape))
    if np.array_equal(got, want):
        return
    if np.array_equal(got, image[::-1]):
        raise Wrong(_("you flipped the rows (axis 0), so the photo is upside down: the channels are the last axis, "
                      "image[:, :, ::-1]"))
    if np.array_equal(got, image):
        raise Wrong(_("nothing changed: reverse the order of the channels (the last axis)"))
    raise Wrong(_("your result differs from cv2.cvtColor(image, cv2.COLOR_BGR2RGB)"))


def check_gray(ex: ModuleType) -> None:
    image = _photo()
    got = _array(ex.to_gray(image.copy()), "to_gray")
    want = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if got.shape != want.shape:
        raise Wrong(_("your result has shape {got}, expected {want}: one value per pixel").format(
            got=got.shape, want=want.shape))
    if got.dtype != np.uint8:
        raise Wrong(_("your result is {dtype}: return uint8, np.round(gray).astype(np.uint8)").format(
            dtype=got.dtype))
    diff = int(np.abs(got.astype(int) - want.astype(int)).max())
    if diff <= 1:  # OpenCV rounds in fixed point: one level either way is the same answer
        return
    as_if_rgb = np.round(image @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    if np.abs(got.astype(int) - as_if_rgb.astype(int)).max() <= 1:
        raise Wrong(_("channel 0 of an OpenCV image is blue, not red (OpenCV stores B, G, R): give 0.114 to "
                      "channel 0 and 0.299 to channel 2"))
    raise Wrong(_("your gray values differ from cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) by up to {diff}").format(
        diff=diff))


CHECKS = (
    Check(N_("bgr_to_rgb equals cv2.cvtColor(…, COLOR_BGR2RGB) on an ant photo"), check_rgb, ("bgr_to_rgb",)),
    Check(N_("to_gray equals cv2.cvtColor(…, COLOR_BGR2GRAY) within one level"), check_gray, ("to_gray",)),
    Check(N_("both are written by hand, with NumPy: no cv2"), by_hand({"cv2", "cvtColor"}, N_("the channel order"),
                  lambda ex: (ex.bgr_to_rgb(_photo()), ex.to_gray(_photo()))),
          ("bgr_to_rgb", "to_gray")),
)

MISTAKES = (
    Mistake(N_("the rows flipped instead of the channels"), "return image[:, :, ::-1]", "return image[::-1]",
            "flipped the rows"),
    Mistake(N_("cv2.cvtColor called instead of NumPy"), "    return image[:, :, ::-1]  #",
            "    import cv2\n    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)  #", "by hand"),
    Mistake(N_("channel 0 taken as red"), "b, g, r = image[:, :, 0]", "r, g, b = image[:, :, 0]",
            "channel 0 of an OpenCV image is blue"),
)
