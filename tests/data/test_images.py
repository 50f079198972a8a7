"""Images of every mode a learner might have open as RGB, the same way each time."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from torchstart.data.images import image_to_input, open_rgb
from torchstart.errors import ImageError


def save(image, path, **kwargs):
    image.save(path, **kwargs)
    return path


def test_rgba_is_composited_on_white(tmp_path):
    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (0, 0, 0, 0))  # fully transparent black pixel
    img = open_rgb(save(rgba, tmp_path / "a.png"))
    assert img.mode == "RGB" and img.getpixel((0, 0)) == (255, 255, 255) and img.getpixel((1, 1)) == (255, 0, 0)


def test_grayscale_palette_and_cmyk(tmp_path):
    gray = open_rgb(save(Image.new("L", (8, 8), 77), tmp_path / "g.png"))
    assert gray.mode == "RGB" and gray.getpixel((3, 3)) == (77, 77, 77)
    palette = Image.new("RGB", (8, 8), (0, 128, 255)).convert("P", palette=Image.Palette.ADAPTIVE)
    assert open_rgb(save(palette, tmp_path / "p.gif")).getpixel((2, 2)) == palette.convert("RGB").getpixel((2, 2))
    cmyk = open_rgb(save(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), tmp_path / "c.jpg"))
    r, g, b = cmyk.getpixel((4, 4))
    assert r > 200 and g < 60 and b < 60  # cyan-free, full magenta+yellow = red


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    ramp = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    img = open_rgb(save(Image.fromarray(ramp), tmp_path / "deep.png"))
    values = np.asarray(img)[..., 0]
    assert values.min() == 0 and values.max() == 255 and len(np.unique(values)) > 50


def test_exif_rotation_is_applied(tmp_path):
    wide = Image.new("RGB", (20, 10), (0, 255, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    img = open_rgb(save(wide, tmp_path / "phone.jpg", exif=exif.tobytes()))
    assert img.size == (10, 20)


@pytest.mark.parametrize("content", [b"", b"just some text", b"\xff\xd8\xff\xe0 truncated jpeg"])
def test_non_images_are_clear_errors(tmp_path, content):
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageError, match="photo.jpg"):
        open_rgb(path)


def test_truncated_jpeg(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buffer, "JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[:300])
    with pytest.raises(ImageError, match="cut.jpg"):
        open_rgb(path)


def test_missing_image():
    with pytest.raises(ImageError, match="does not exist"):
        open_rgb("nope.png")


def test_image_to_input_matches_totensor_normalize():
    from torchvision import transforms

    img = Image.fromarray(np.random.default_rng(1).integers(0, 255, (32, 32, 3), dtype=np.uint8))
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)
    x = image_to_input(img, (32, 32), mean, std)
    expected = transforms.Normalize(mean, std)(transforms.ToTensor()(img)).unsqueeze(0)
    assert x.shape == (1, 3, 32, 32)
    torch.testing.assert_close(x, expected)
    assert image_to_input(img.resize((300, 200)), (32, 32), mean, std).shape == (1, 3, 32, 32)


def test_model_input_keeps_the_aspect_ratio_like_folder_training():
    from torchstart.data.images import image_to_input

    wide = Image.new("RGB", (300, 100), (0, 0, 0))
    wide.paste((255, 255, 255), (100, 0, 200, 100))  # the centre square is white, the sides black
    x = image_to_input(wide, (32, 32), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))  # (1, 3, 32, 32) in [0, 1]
    assert x.shape == (1, 3, 32, 32)
    assert x[..., 2:-2].min() > 0.9  # centre crop: no black from the sides (a stretch would show them)
