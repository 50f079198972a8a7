"""Image-folder data sets: layouts, the stratified split, decoding once, bad files reported."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from torchstart.data.folders import channel_stats, load_image_folder, stratified_split
from torchstart.data.images import resize_square
from torchstart.data.scan import detect_folder_layout
from torchstart.errors import DataError

COLOURS = {"cats": (200, 30, 30), "dogs": (30, 200, 30), "owls": (30, 30, 200)}


def make_folder(root: Path, per_class: dict[str, int], size=(40, 30)) -> Path:
    """root/<class>/<i>.png: solid images in the class's colour, so labels are checkable from pixels."""
    for name, n in per_class.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", size, COLOURS[name]).save(root / name / f"{i:03d}.png")
    return root


def test_layouts_with_and_without_splits(tmp_path):
    flat = make_folder(tmp_path / "flat", {"cats": 3, "dogs": 3})
    split = tmp_path / "split"
    make_folder(split / "train", {"cats": 3, "dogs": 3})
    make_folder(split / "val", {"cats": 1, "dogs": 1})
    assert detect_folder_layout(flat).kind == "flat"
    layout = detect_folder_layout(split)
    assert (layout.kind, layout.train_root, layout.val_root) == ("split", split / "train", split / "val")
    (tmp_path / "empty").mkdir()
    assert detect_folder_layout(tmp_path / "empty") is None


def test_split_layout_uses_val_folder_and_class_names(tmp_path):
    make_folder(tmp_path / "train", {"cats": 4, "dogs": 2, "owls": 3})
    make_folder(tmp_path / "val", {"cats": 1, "dogs": 2, "owls": 1})
    data = load_image_folder(tmp_path, image_size=16, workers=0)
    assert data.classes == ("cats", "dogs", "owls")
    assert (len(data.train), len(data.test)) == (9, 4)
    assert data.train.images.shape == (9, 16, 16, 3) and data.train.images.dtype == torch.uint8
    assert data.test.labels.tolist() == [0, 1, 1, 2]
    # pixels say which class: every decoded image has its class's colour
    for images, labels in ((data.train.images, data.train.labels), (data.test.images, data.test.labels)):
        for image, label in zip(images, labels):
            assert tuple(image[8, 8].tolist()) == COLOURS[data.classes[label]]
    assert "split layout" in data.describe() and "3 classes" in data.describe()


def test_flat_layout_gets_a_seeded_stratified_val_split(tmp_path):
    make_folder(tmp_path, {"cats": 10, "dogs": 5})
    data = load_image_folder(tmp_path, image_size=8, val_fraction=0.2, seed=3, workers=0)
    assert data.test.labels.bincount().tolist() == [2, 1]  # 20 % of each class
    assert data.train.labels.bincount().tolist() == [8, 4]
    again = load_image_folder(tmp_path, image_size=8, val_fraction=0.2, seed=3, workers=0)
    assert torch.equal(data.test.images, again.test.images)
    assert "20% of each class held out, seed 3" in data.describe()


def test_stratified_split_is_disjoint_complete_and_per_class():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 7 + [3] * 1)
    train, val = stratified_split(labels, 0.2, seed=0)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(labels)))
    assert np.bincount(labels[val], minlength=4).tolist() == [10, 6, 1, 0]  # a lone image stays in train
    other_train, other_val = stratified_split(labels, 0.2, seed=1)
    assert not np.array_equal(val, other_val)


def test_decoding_works_in_worker_processes(tmp_path):
    make_folder(tmp_path, {"cats": 6, "dogs": 6})
    serial = load_image_folder(tmp_path, image_size=12, workers=0)
    parallel = load_image_folder(tmp_path, image_size=12, workers=2)
    assert torch.equal(serial.train.images, parallel.train.images)
    assert torch.equal(serial.train.labels, parallel.train.labels)


def test_bad_files_are_skipped_and_listed_not_fatal(tmp_path):
    make_folder(tmp_path, {"cats": 5, "dogs": 5})
    (tmp_path / "cats" / "broken.jpg").write_bytes(b"not a jpeg at all")
    (tmp_path / "dogs" / "empty.png").write_bytes(b"")
    data = load_image_folder(tmp_path, image_size=8, workers=0)
    assert len(data.train) + len(data.test) == 10
    assert len(data.skipped) == 2 and any("broken.jpg" in line for line in data.skipped)
    assert "2 files skipped" in data.describe()


def test_folder_without_classes_or_with_mismatched_splits_is_one_clear_error(tmp_path):
    (tmp_path / "nothing").mkdir()
    with pytest.raises(DataError, match="neither CIFAR-10 nor class folders"):
        load_image_folder(tmp_path / "nothing", image_size=8)
    make_folder(tmp_path / "mixed" / "train", {"cats": 2, "dogs": 2})
    make_folder(tmp_path / "mixed" / "val", {"cats": 1, "owls": 1})
    with pytest.raises(DataError, match="differ"):
        load_image_folder(tmp_path / "mixed", image_size=8, workers=0)


def test_resize_square_keeps_the_centre():
    image = Image.new("RGB", (300, 100), (0, 0, 0))
    image.paste((255, 255, 255), (100, 0, 200, 100))  # a white centre square
    out = resize_square(image, 50)
    assert out.size == (50, 50)
    assert np.asarray(out)[25, 25].tolist() == [255, 255, 255] and np.asarray(out)[25, 2].min() > 200


def test_channel_stats_equal_numpy():
    images = torch.randint(0, 256, (6, 5, 5, 3), dtype=torch.uint8)
    mean, std = channel_stats(type("S", (), {"images": images})())
    pixels = images.numpy().reshape(-1, 3) / 255
    np.testing.assert_allclose(mean, pixels.mean(0), atol=1e-9)
    np.testing.assert_allclose(std, pixels.std(0, ddof=1), atol=1e-9)
