"""Lesson 5 — OpenCV basics (课程第五章 5.1：opencv).

中文：用 OpenCV 对蚂蚁/蜜蜂样例中的一张照片做课程里的常用操作：灰度、HSV、均值模糊、高斯模糊、Canny 边缘、
腐蚀、膨胀、开运算、闭运算、缩小一半、旋转 45° 和保存，记录每个结果的形状和数据类型，并把它们拼成一张
对照图（PNG）。同时演示三个常见的坑：OpenCV 读出的是 BGR 而不是 RGB；没有显示器时不能用 `imshow`
（本课从不调用它，结果都写成文件）；含中文的路径要用 `np.fromfile` + `cv2.imdecode` 读、
`cv2.imencode(...)[1].tofile(...)` 写。

像素怎么读写：`image[y, x]` 先写行（y）再写列（x），得到的三个数按 B、G、R 排列；`image[y, x] = (0, 0, 255)`
把这个像素改成红色，再读回来核对。

English: read and set one pixel first: `image[y, x]` takes the row (y) before the column (x) and gives the
three numbers in B, G, R order; `image[y, x] = (0, 0, 255)` makes that pixel red, read back to check. Then
run the course's everyday OpenCV operations on a photo from the ants/bees sample — grayscale,
HSV, box blur, Gaussian blur, Canny edges, erode, dilate, opening, closing, half-size resize, a 45°
rotation and saving — record the shape and dtype of each result and lay them out in one contact sheet
PNG. Along the way it shows three pitfalls: OpenCV gives BGR, not RGB; `imshow` needs a display (the
lesson never calls it and writes files instead); paths with non-ASCII characters are read with
`np.fromfile` + `cv2.imdecode` and written with `cv2.imencode(...)[1].tofile(...)`.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..errors import ImageError
from ..files import writable_dir
from ..i18n import _
from ._shared import error_text, read_image, sample_image_path
from .runner import lesson_main

NON_ASCII_NAME = "蚂蚁 图片.jpg"  # Chinese characters and a space: the two things that trip up file APIs
SHEET_COLUMNS = 4
LABEL_HEIGHT = 22  # pixels of white strip above each panel for its name


@dataclass
class Pixel:
    y: int  # row, counted from the top
    x: int  # column, counted from the left
    bgr: list[int]  # image[y, x]: OpenCV's channel order
    pil_rgb: list[int]  # Pillow's getpixel((x, y)) of the same file: x first, channels R, G, B
    swapped_error: str  # what image[x, y] raises (x past the last row), "" if that is another pixel
    swapped: list[int] | None  # image[x, y] when it does not raise: a different pixel
    painted: list[int]  # image[y, x] read back after image[y, x] = (0, 0, 255)
    changed: int  # pixels that differ after the assignment: exactly one


@dataclass
class Result:
    source: Path  # the sample photo
    pixel: Pixel
    shapes: dict[str, tuple[int, ...]]  # operation → shape of its result, e.g. "gray" → (H, W)
    dtypes: dict[str, str]  # operation → numpy dtype of its result
    hue_max: int  # largest hue in the HSV image: OpenCV stores hue as 0–179 (degrees / 2) in uint8
    canny_values: list[int]  # the distinct pixel values of the edge map
    saved: Path  # the rotated image written with cv2.imwrite
    imwrite_ok: bool  # cv2.imwrite's return value: it reports failure with False, not an exception
    contact_sheet: Path
    bgr_vs_pil: float  # mean |cv2 array − PIL RGB array|, channels as OpenCV gives them
    rgb_vs_pil: float  # the same after image[..., ::-1] (BGR → RGB)
    non_ascii_path: Path
    non_ascii_equal: bool  # read back through np.fromfile + imdecode: same pixels as the original
    plain_imread_ok: bool  # did plain cv2.imread(str(path)) read the non-ASCII path on this system?
    platform: str


def write_image(path: Path, image: np.ndarray) -> Path:
    """Encode `image` (BGR or gray) in the format of the path's suffix and write it; any path works."""
    ok, encoded = cv2.imencode(Path(path).suffix, image)
    if not ok:
        raise ImageError(_("OpenCV could not encode an image as {suffix}").format(suffix=Path(path).suffix),
                         _("use .png or .jpg"))
    encoded.tofile(path)
    return Path(path)


def pixel_demo(image: np.ndarray, source: Path) -> Pixel:
    """Read one pixel, compare it with Pillow's, and set it to red on a copy (the course's 五.5.1 三)."""
    height, width = image.shape[:2]
    y, x = height // 3, width * 4 // 5  # right of the middle: in a landscape photo x is larger than any row number
    with Image.open(source) as pil:
        pil_rgb = list(pil.convert("RGB").getpixel((x, y)))  # Pillow asks for (x, y): the other way round
    swapped_error = error_text(lambda: image[x, y], IndexError)  # the usual slip: x written first
    painted = image.copy()  # keep the original for the operations below
    painted[y, x] = (0, 0, 255)  # B=0, G=0, R=255: red (the course's [255, 0, 0] is blue)
    return Pixel(y=y, x=x, bgr=image[y, x].tolist(), pil_rgb=pil_rgb, swapped_error=swapped_error,
                 swapped=None if swapped_error else image[x, y].tolist(), painted=painted[y, x].tolist(),
                 changed=int((painted != image).any(axis=2).sum()))


def operations(image: np.ndarray) -> dict[str, np.ndarray]:
    """The course's list of OpenCV operations on one BGR image (H, W, 3), in the course's order."""
    height, width = image.shape[:2]
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)  # (H, W): one channel
    kernel = np.ones((5, 5), np.uint8)  # 5×5 neighbourhood for the morphology operations
    rotation = cv2.getRotationMatrix2D((width // 2, height // 2), 45, 1.0)  # angle in degrees, anticlockwise
    return {
        "original": image,
        "gray": gray,
        "hsv": cv2.cvtColor(image, cv2.COLOR_BGR2HSV),  # still (H, W, 3), channels are hue, saturation, value
        "blur": cv2.blur(image, (5, 5)),  # mean of each 5×5 window
        "gaussian": cv2.GaussianBlur(image, (5, 5), 0),  # sigma 0: OpenCV derives it from the kernel size
        "canny": cv2.Canny(gray, 100, 200),  # (H, W) edge map: 255 on an edge, 0 elsewhere
        "erode": cv2.erode(image, kernel, iterations=1),
        "dilate": cv2.dilate(image, kernel, iterations=1),
        "open": cv2.morphologyEx(image, cv2.MORPH_OPEN, kernel),  # erode then dilate: removes small bright specks
        "close": cv2.morphologyEx(image, cv2.MORPH_CLOSE, kernel),  # dilate then erode: fills small dark holes
        "half": cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_LINEAR),  # dsize is (W, H)!
        "rotate45": cv2.warpAffine(image, rotation, (width, height)),  # same canvas: the corners are cut off
    }


def contact_sheet(panels: dict[str, np.ndarray], height: int, width: int) -> np.ndarray:
    """All panels on one BGR canvas, SHEET_COLUMNS per row, each on a (height, width) cell under its name."""
    cells = []
    for name, panel in panels.items():
        bgr = cv2.cvtColor(panel, cv2.COLOR_GRAY2BGR) if panel.ndim == 2 else panel
        cell = np.zeros((height, width, 3), np.uint8)
        cell[:bgr.shape[0], :bgr.shape[1]] = bgr  # smaller results (half) keep their size, top-left
        label = np.full((LABEL_HEIGHT, width, 3), 255, np.uint8)
        cv2.putText(label, name, (4, LABEL_HEIGHT - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        cells.append(cv2.vconcat([label, cell]))
    blank = np.full_like(cells[0], 255)
    cells += [blank] * (-len(cells) % SHEET_COLUMNS)  # fill the last row
    rows = [cv2.hconcat(cells[i:i + SHEET_COLUMNS]) for i in range(0, len(cells), SHEET_COLUMNS)]
    return cv2.vconcat(rows)


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    out = writable_dir(out)
    source = sample_image_path(data_dir)
    image = read_image(source)  # BGR uint8 (H, W, 3)
    height, width = image.shape[:2]
    results = operations(image)

    saved = out / "rotate45.jpg"
    imwrite_ok = bool(cv2.imwrite(str(saved), results["rotate45"]))  # the course's call; check what it returns
    sheet = write_image(out / "contact_sheet.png", contact_sheet(results, height, width))

    # BGR vs RGB: Pillow decodes the same file to RGB; OpenCV's channel order is the reverse
    pil_rgb = np.asarray(Image.open(source).convert("RGB"))
    bgr_vs_pil = mean_abs_diff(image, pil_rgb)
    # After the flip: 0 when both libraries use the same libjpeg build, a level or two when their decoders differ
    rgb_vs_pil = mean_abs_diff(image[..., ::-1], pil_rgb)

    non_ascii = out / NON_ASCII_NAME
    shutil.copyfile(source, non_ascii)
    non_ascii_equal = bool(np.array_equal(read_image(non_ascii), image))
    plain_imread_ok = cv2.imread(str(non_ascii)) is not None  # Linux/macOS: usually True; Windows: often None

    return Result(source=source, pixel=pixel_demo(image, source),
                  shapes={name: tuple(a.shape) for name, a in results.items()},
                  dtypes={name: str(a.dtype) for name, a in results.items()},
                  hue_max=int(results["hsv"][..., 0].max()),
                  canny_values=sorted(int(v) for v in np.unique(results["canny"])),
                  saved=saved, imwrite_ok=imwrite_ok, contact_sheet=sheet, bgr_vs_pil=bgr_vs_pil,
                  rgb_vs_pil=rgb_vs_pil, non_ascii_path=non_ascii, non_ascii_equal=non_ascii_equal,
                  plain_imread_ok=plain_imread_ok, platform=sys.platform)


def pixel_lines(p: Pixel) -> list[str]:
    swapped = (_("image[x, y] = image[{x}, {y}] raises IndexError: {error}").format(x=p.x, y=p.y, error=p.swapped_error)
               if p.swapped_error else
               _("image[x, y] = image[{x}, {y}] is another pixel: {value}").format(x=p.x, y=p.y, value=p.swapped))
    return [_("pixel at row y={y}, column x={x}: image[y, x] = {bgr}  (B, G, R)").format(y=p.y, x=p.x, bgr=p.bgr),
            _("    Pillow's getpixel((x, y)) of the same file: {rgb}  (R, G, B)").format(rgb=p.pil_rgb),
            "    " + swapped,
            _("    after image[y, x] = (0, 0, 255): {value} — red; {changed} pixel changed").format(
                value=p.painted, changed=p.changed)]


def describe(result: Result) -> str:
    lines = [_("sample image: {source}").format(source=result.source), *pixel_lines(result.pixel),
             _("operation     shape            dtype")]
    for name, shape in result.shapes.items():
        lines.append(f"    {name:<10}{str(shape):<17}{result.dtypes[name]}")
    plain = _("read it") if result.plain_imread_ok else _("returned None")
    lines += [
        _("HSV hue goes up to {hue} (OpenCV stores hue 0–179 in uint8); Canny values: {values}").format(
            hue=result.hue_max, values=result.canny_values),
        _("cv2.imwrite returned {ok} for {path}").format(ok=result.imwrite_ok, path=result.saved),
        _("contact sheet: {path}").format(path=result.contact_sheet),
        _("mean |OpenCV − Pillow| per pixel: as BGR {bgr:.1f}, after [..., ::-1] {rgb:.2f}").format(
            bgr=result.bgr_vs_pil, rgb=result.rgb_vs_pil),
        _("non-ASCII path {name!r}: np.fromfile + imdecode gives the same pixels: {equal}; "
          "plain cv2.imread {plain} on {platform}").format(
              name=result.non_ascii_path.name, equal=result.non_ascii_equal, plain=plain, platform=result.platform),
        _("no cv2.imshow: it needs a screen (and is missing from opencv-python-headless); open the PNG instead"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("opencv", argv)


if __name__ == "__main__":
    raise SystemExit(main())
