"""Lesson 5 (opencv): reading and setting a pixel, shapes and dtypes of the course's operations, BGR vs RGB,
non-ASCII paths, no imshow."""

import cv2
import numpy as np
import pytest
from PIL import Image

from torchstart.errors import ImageError
from torchstart.lessons import opencv
from torchstart.lessons._shared import read_image, sample_image_path
from torchstart.lessons.opencv import operations, pixel_demo, write_image


@pytest.fixture(scope="module")
def image():
    return read_image(sample_image_path())  # (H, W, 3) uint8 BGR


def test_a_pixel_is_image_y_x_in_bgr_order(lesson_result, image):
    pixel = lesson_result("opencv").pixel
    h, w = image.shape[:2]
    assert (pixel.y, pixel.x) == (h // 3, w * 4 // 5) and pixel.x >= h  # x is past the last row
    assert pixel.bgr == image[pixel.y, pixel.x].tolist() == image[pixel.y][pixel.x].tolist()
    # Pillow takes (x, y) and gives R, G, B: the same pixel, channels reversed (a level or two between decoders)
    assert np.abs(np.array(pixel.pil_rgb[::-1]) - pixel.bgr).max() <= 3
    assert pixel.swapped_error == f"index {pixel.x} is out of bounds for axis 0 with size {h}"
    assert pixel.swapped is None


def test_setting_a_pixel_changes_that_pixel_only(lesson_result, image):
    pixel = lesson_result("opencv").pixel
    assert pixel.painted == [0, 0, 255] and pixel.changed == 1  # B=0, G=0, R=255: red
    before = image.copy()
    pixel_demo(image, sample_image_path())
    np.testing.assert_array_equal(image, before)  # the lesson paints a copy


def test_a_portrait_image_reads_another_pixel_when_x_and_y_are_swapped(tmp_path):
    portrait = np.arange(40 * 30 * 3, dtype=np.uint8).reshape(40, 30, 3)  # H=40 > W=30
    path = write_image(tmp_path / "portrait.png", portrait)
    pixel = pixel_demo(portrait, path)
    assert (pixel.y, pixel.x) == (13, 24) and pixel.swapped_error == ""
    assert pixel.swapped == portrait[24, 13].tolist() != pixel.bgr


def test_shapes_and_dtypes(lesson_result, image):
    result = lesson_result("opencv")
    h, w = image.shape[:2]
    assert result.shapes["original"] == (h, w, 3)
    assert result.shapes["gray"] == (h, w) and result.dtypes["gray"] == "uint8"
    assert result.shapes["hsv"] == (h, w, 3)
    assert result.shapes["canny"] == (h, w)
    assert result.shapes["half"] == (h // 2, w // 2, 3)  # cv2.resize takes (W, H) and gives exactly that
    assert result.shapes["rotate45"] == (h, w, 3)  # warpAffine onto the same canvas
    for name in ("blur", "gaussian", "erode", "dilate", "open", "close"):
        assert result.shapes[name] == (h, w, 3)
    assert set(result.dtypes.values()) == {"uint8"}
    assert 90 < result.hue_max <= 179  # OpenCV's uint8 hue is degrees / 2


def test_operations_match_their_definitions(image):
    results = operations(image)
    b, g, r = (image[..., i].astype(np.float64) for i in range(3))
    assert np.abs(results["gray"] - (0.299 * r + 0.587 * g + 0.114 * b)).max() <= 1  # ITU-R BT.601 weights
    kernel = np.ones((5, 5), np.uint8)
    np.testing.assert_array_equal(results["open"], cv2.dilate(cv2.erode(image, kernel), kernel))
    np.testing.assert_array_equal(results["close"], cv2.erode(cv2.dilate(image, kernel), kernel))
    # erosion is a minimum over the 5×5 window, dilation a maximum: check one pixel well inside
    window = image[40:45, 60:65]
    assert (results["erode"][42, 62] == window.min(axis=(0, 1))).all()
    assert (results["dilate"][42, 62] == window.max(axis=(0, 1))).all()
    assert np.abs(results["blur"][42, 62] - window.mean(axis=(0, 1))).max() <= 0.5  # rounded mean


def test_canny_is_binary(lesson_result):
    assert lesson_result("opencv").canny_values == [0, 255]


def test_files_written_and_contact_sheet_decodes(lesson_result, image):
    result = lesson_result("opencv")
    assert result.imwrite_ok and result.saved.is_file()
    sheet = read_image(result.contact_sheet)
    h, w = image.shape[:2]
    # 12 panels, 4 per row, each a label strip over an (H, W) cell
    assert sheet.shape == (3 * (h + opencv.LABEL_HEIGHT), 4 * w, 3)
    assert sheet.std() > 20  # real pictures, not a blank canvas


def test_bgr_versus_rgb(lesson_result, image):
    pil_rgb = np.asarray(Image.open(sample_image_path()).convert("RGB")).astype(int)
    assert np.abs(image[..., ::-1].astype(int) - pil_rgb).mean() < 2
    assert np.abs(image.astype(int) - pil_rgb).mean() > 20  # without the flip red and blue are swapped
    result = lesson_result("opencv")
    assert result.rgb_vs_pil < 2 < 20 < result.bgr_vs_pil


def test_non_ascii_path_round_trip(lesson_result, image, tmp_path):
    result = lesson_result("opencv")
    assert result.non_ascii_path.name == "蚂蚁 图片.jpg" and result.non_ascii_equal
    np.testing.assert_array_equal(read_image(result.non_ascii_path), image)
    # what the lesson reports about plain cv2.imread is what it really does on this system
    assert result.plain_imread_ok == (cv2.imread(str(result.non_ascii_path)) is not None)
    # writing through imencode + tofile: a lossless PNG comes back identical
    png = write_image(tmp_path / "图 片.png", image)
    np.testing.assert_array_equal(read_image(png), image)


def test_missing_or_broken_file_is_an_image_error(tmp_path):
    with pytest.raises(ImageError, match="does not exist"):
        read_image(tmp_path / "nope.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(ImageError, match="could not decode"):
        read_image(broken)


def test_lesson_never_opens_a_window(monkeypatch, tmp_path):
    def no_display(*args, **kwargs):
        raise AssertionError("the lesson must not open a window")

    for name in ("imshow", "namedWindow", "waitKey", "destroyAllWindows"):
        monkeypatch.setattr(cv2, name, no_display)
    result = opencv.run(out=tmp_path)
    assert result.contact_sheet.is_file()
