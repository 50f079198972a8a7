"""Lesson 5 (opencv): a pixel is image[y, x] in B, G, R; the course's operations, their shapes and definitions;
BGR vs RGB; failures that raise nothing; non-ASCII paths; no window ever opened."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import torchstart
from torchstart.course import find_chapter
from torchstart.course.execute import run_cells


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(5).namespace


@pytest.fixture(scope="module")
def workdir(ns):
    return Path(ns["__file__"]).parent  # the folder the script ran in: what it wrote is there


@pytest.fixture(scope="module")
def photo():
    return torchstart.sample("hymenoptera") / "train" / "ants" / "0013035.jpg"


@pytest.fixture(scope="module")
def image(photo):
    return cv2.imread(str(photo))  # (H, W, 3) uint8 BGR, read the course's way


def test_the_scripts_imread_reads_what_cv2_imread_reads(ns, image):
    np.testing.assert_array_equal(ns["image"], image)
    assert (ns["height"], ns["width"], ns["channels"]) == image.shape == (149, 224, 3)


def test_a_pixel_is_image_y_x_in_bgr_order(ns, image):
    h, w = image.shape[:2]
    y, x = ns["y"], ns["x"]
    assert (y, x) == (h // 3, w * 4 // 5) == (49, 179) and x >= h  # x is past the last row
    assert ns["pixel_value"].tolist() == image[y, x].tolist() == image[y][x].tolist() == [240, 159, 84]
    # Pillow takes (x, y) and gives R, G, B: the same pixel, channels reversed (a level or two between decoders)
    assert np.abs(np.array(ns["pil_rgb"][::-1]) - ns["pixel_value"]).max() <= 3
    assert ns["swapped_error"] == f"index {x} is out of bounds for axis 0 with size {h}"


def test_swapped_coordinates_below_the_row_count_read_another_pixel_silently(lesson_run, image):
    assert 100 < image.shape[0]
    assert not np.array_equal(image[60, 100], image[100, 60])
    call = "print(image[60, 100], image[100, 60])"
    (printed,) = [run.output for run in lesson_run(5).cells if call in run.cell.source]
    assert str(image[60, 100]) in printed and str(image[100, 60]) in printed


def test_setting_a_pixel_changes_that_pixel_only(ns, image):
    assert ns["painted"][ns["y"], ns["x"]].tolist() == [0, 0, 255] and ns["changed"] == 1  # B=0, G=0, R=255: red
    np.testing.assert_array_equal(ns["image"], image)  # the script painted a copy


def test_shapes_and_dtypes(ns, image):
    h, w = image.shape[:2]
    shapes, dtypes = ns["shapes"], ns["dtypes"]
    assert list(shapes) == ["original", "gray", "hsv", "blur", "gaussian", "canny", "erode", "dilate", "open",
                            "close", "half", "rotate45"]
    assert shapes["original"] == (h, w, 3)
    assert shapes["gray"] == (h, w) and dtypes["gray"] == "uint8"
    assert shapes["hsv"] == (h, w, 3)
    assert shapes["canny"] == (h, w)
    assert shapes["half"] == (h // 2, w // 2, 3) == (74, 112, 3)  # cv2.resize takes (W, H) and gives exactly that
    assert shapes["rotate45"] == (h, w, 3)  # warpAffine onto the same canvas
    for name in ("blur", "gaussian", "erode", "dilate", "open", "close"):
        assert shapes[name] == (h, w, 3)
    assert set(dtypes.values()) == {"uint8"}
    assert 90 < ns["hue_max"] <= 179  # OpenCV's uint8 hue is degrees / 2


def test_operations_match_their_definitions(ns, image):
    b, g, r = (image[..., i].astype(np.float64) for i in range(3))
    assert np.abs(ns["gray_image"] - (0.299 * r + 0.587 * g + 0.114 * b)).max() <= 1  # ITU-R BT.601 weights
    kernel = np.ones((5, 5), np.uint8)
    np.testing.assert_array_equal(ns["opened_image"], cv2.dilate(cv2.erode(image, kernel), kernel))
    np.testing.assert_array_equal(ns["closed_image"], cv2.erode(cv2.dilate(image, kernel), kernel))
    # erosion is a minimum over the 5×5 window, dilation a maximum: check one pixel well inside
    window = image[40:45, 60:65]
    assert (ns["eroded_image"][42, 62] == window.min(axis=(0, 1))).all()
    assert (ns["dilated_image"][42, 62] == window.max(axis=(0, 1))).all()
    assert np.abs(ns["blurred_image"][42, 62] - window.mean(axis=(0, 1))).max() <= 0.5  # rounded mean
    # the rotation matrix turns the centre into itself: 45° anticlockwise about (W/2, H/2)
    cx, cy = ns["center"]
    np.testing.assert_allclose(ns["rotation_matrix"] @ [cx, cy, 1], [cx, cy], atol=1e-9)
    np.testing.assert_allclose(ns["rotation_matrix"][:, :2], [[0.5 ** 0.5, 0.5 ** 0.5], [-(0.5 ** 0.5), 0.5 ** 0.5]])


def test_canny_is_binary(ns):
    assert ns["canny_values"] == [0, 255]


def test_files_written_and_contact_sheet_decodes(ns, workdir, image):
    assert ns["imwrite_ok"] is True and (workdir / "rotate45.jpg").is_file()
    sheet = cv2.imread(str(workdir / "contact_sheet.png"))
    h, w = image.shape[:2]
    # 12 panels, 4 per row, each a label strip over an (H, W) cell
    assert sheet.shape == ns["sheet"].shape == (3 * (h + ns["label_height"]), 4 * w, 3) == (513, 896, 3)
    np.testing.assert_array_equal(sheet, ns["sheet"])  # PNG: lossless
    assert sheet.std() > 20  # real pictures, not a blank canvas
    np.testing.assert_array_equal(sheet[ns["label_height"]:ns["label_height"] + h, w:2 * w],
                                  cv2.cvtColor(ns["gray_image"], cv2.COLOR_GRAY2BGR))  # the second tile is gray


def test_bgr_versus_rgb(ns, photo, image):
    pil_rgb = np.asarray(Image.open(photo).convert("RGB")).astype(int)
    assert np.abs(image[..., ::-1].astype(int) - pil_rgb).mean() < 2
    assert np.abs(image.astype(int) - pil_rgb).mean() > 20  # without the flip red and blue are swapped
    assert ns["rgb_vs_pil"] < 2 < 20 < ns["bgr_vs_pil"]
    assert ns["bgr_vs_pil"] == pytest.approx(np.abs(image.astype(int) - pil_rgb).mean())


def test_failures_are_silent_in_opencv_and_loud_in_the_scripts_helpers(ns, tmp_path):
    assert cv2.imwrite(str(tmp_path / "no_such_folder" / "x.jpg"), np.zeros((4, 4, 3), np.uint8)) is False
    with pytest.raises(FileNotFoundError):
        ns["imread"](tmp_path / "nope.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="could not decode"):
        ns["imread"](broken)
    with pytest.raises(FileNotFoundError):
        ns["imwrite"](tmp_path / "no_such_folder" / "x.png", np.zeros((4, 4, 3), np.uint8))


def test_non_ascii_path_round_trip(ns, workdir, image, tmp_path):
    assert ns["non_ascii_path"].name == "蚂蚁 图片.jpg" and ns["non_ascii_equal"] and ns["png_round_trip"]
    np.testing.assert_array_equal(ns["imread"](workdir / "蚂蚁 图片.jpg"), image)
    # what the lesson reports about plain cv2.imread is what it really does on this system
    assert ns["plain_imread_ok"] == (cv2.imread(str(workdir / "蚂蚁 图片.jpg")) is not None)
    # writing through imencode + tofile: a lossless PNG comes back identical
    ns["imwrite"](tmp_path / "图 片.png", image)
    np.testing.assert_array_equal(ns["imread"](tmp_path / "图 片.png"), image)


def test_the_lesson_never_opens_a_window(monkeypatch, tmp_path):
    def no_display(*args, **kwargs):
        raise AssertionError("the lesson must not open a window")

    for name in ("imshow", "namedWindow", "waitKey", "destroyAllWindows"):
        monkeypatch.setattr(cv2, name, no_display)
    run = run_cells(find_chapter(5), "en", tmp_path)
    assert (tmp_path / "contact_sheet.png").is_file() and run.namespace["changed"] == 1


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(5, "zh")
    assert zh.namespace["canny_values"] == lesson_run(5).namespace["canny_values"]
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "课程把彩色图直接交给 Canny" in sources and "the course passes the colour image" not in sources
