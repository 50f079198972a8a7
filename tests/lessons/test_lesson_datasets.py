"""Lesson 7 (datasets): CIFAR-10 through torchstart's sources behaves like torchvision's CIFAR10."""

import pytest
import torch
import torchvision
from torchvision import transforms

from conftest import shared_data, write_torchvision_dir
from torchstart.data import CIFAR10_CLASSES, CifarDataset, find_cifar10
from torchstart.lessons.datasets import run


def test_sample_gives_classes_in_canonical_order_and_batches(lesson_result):
    result = lesson_result("datasets")
    assert result.classes == list(CIFAR10_CLASSES) == ["airplane", "automobile", "bird", "cat", "deer", "dog",
                                                       "frog", "horse", "ship", "truck"]
    assert "embedded CIFAR-10 sample" in result.source
    assert (result.train_size, result.test_size) == (2000, 500)
    assert result.first_class == result.classes[result.first_target]
    assert result.image_shape == [3, 32, 32]
    assert result.batch_shape == [64, 3, 32, 32] and result.label_batch_shape == [64]
    low, high = result.value_range
    assert -1.0 <= low < 0 < high <= 1.0


def test_items_equal_torchvision_cifar10_on_the_same_files(tmp_path, monkeypatch):
    # the reference: torchvision's own dataset class over files in the official format
    # (made by the test, so their md5 is not the official one: skip that check only)
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *args, **kwargs: True)
    folder, _, _ = write_torchvision_dir(tmp_path)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    ours = CifarDataset(find_cifar10(tmp_path).train, transform=transform)
    theirs = torchvision.datasets.CIFAR10(str(tmp_path), train=True, download=False, transform=transform)
    assert len(ours) == len(theirs) == 100
    for index in (0, 1, 57, 99):
        (x1, y1), (x2, y2) = ours[index], theirs[index]
        assert y1 == y2 and torch.equal(x1, x2)
    assert folder.name == "cifar-10-batches-py"


@pytest.mark.realdata
def test_full_data_set_sizes(tmp_path):
    result = run(out=tmp_path, data_dir=shared_data("cifar10"))
    assert (result.train_size, result.test_size) == (50000, 10000)
    assert result.classes == list(CIFAR10_CLASSES)
