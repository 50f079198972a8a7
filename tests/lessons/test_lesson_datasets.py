"""Lesson 7 (datasets): torchvision's own CIFAR10 reads the embedded sample, written once in torchvision's layout."""

import pickle

import numpy as np
import pytest
import torch
from torchvision.datasets import CIFAR10

from conftest import shared_data, write_npz_dir, write_torchvision_dir
from torchstart.data import CIFAR10_CLASSES, find_cifar10, load_sample
from torchstart.data.cifar10 import load_torchvision_dir
from torchstart.data.torchvision_files import OFFICIAL_MD5, STAMP, torchvision_copy
from torchstart.errors import DataError
from torchstart.i18n import using
from torchstart.lessons.datasets import CheckedCIFAR10, describe, run


def test_torchvision_cifar10_shows_the_course_attributes(lesson_result):
    result = lesson_result("datasets")
    sample = load_sample()
    assert "embedded CIFAR-10 sample" in result.source
    assert (result.train_size, result.test_size) == (2000, 500)
    assert result.data_shape == [2000, 32, 32, 3] and result.data_dtype == "uint8"
    assert result.classes == list(CIFAR10_CLASSES)
    assert result.class_to_idx == {name: i for i, name in enumerate(CIFAR10_CLASSES)}
    assert result.first_targets == sample.train.labels[:10].tolist() == list(range(10))  # the sample interleaves
    assert result.image_shape == [3, 32, 32] and result.image_dtype == "float32"
    assert result.first_class == result.classes[result.first_target] == "airplane"
    low, high = result.image_range
    assert 0.0 <= low < high <= 1.0
    assert result.normalized_range == pytest.approx((2 * low - 1, 2 * high - 1), abs=1e-6)
    assert result.same_as_source and not result.official_files and result.written
    assert "Dataset not found or corrupted" in result.plain_class_error


def test_the_course_dataloader_with_two_workers_and_drop_last(lesson_result):
    loader = lesson_result("datasets").loader
    assert (loader.batches, loader.last_batch) == (8, 500 - 7 * 64) == (8, 52)  # ⌈500 / 64⌉ batches
    assert loader.batches_drop_last == 7  # ⌊500 / 64⌋: the 52 left over are dropped
    assert loader.first_batch_shape == [64, 3, 32, 32]
    assert loader.same_as_no_workers  # workers change who loads, not what is loaded
    assert loader.start_method in ("fork", "spawn", "forkserver")


def test_torchvision_dataset_images_equal_the_sample(tmp_path):
    sample = load_sample()
    copy = torchvision_copy(sample, tmp_path)
    for train, split in ((True, sample.train), (False, sample.test)):
        theirs = CheckedCIFAR10(copy.root, copy.md5, train=train, download=False)
        assert np.array_equal(theirs.data, split.images.numpy()) and theirs.targets == split.labels.tolist()
        assert theirs.classes == list(sample.classes)
        image, label = theirs[7]
        assert np.array_equal(np.asarray(image), split.images[7].numpy()) and label == int(split.labels[7])
    # the official format: pickled dicts whose rows hold the red plane, then green, then blue
    with open(copy.folder / "data_batch_2", "rb") as f:
        batch = pickle.load(f, encoding="latin1")
    assert set(batch) == {"batch_label", "labels", "data", "filenames"} and batch["data"].shape == (400, 3072)
    assert np.array_equal(batch["data"][0].reshape(3, 32, 32), sample.train.images[400].permute(2, 0, 1).numpy())
    # and torchstart's own reader sees the same images
    ours = load_torchvision_dir(copy.folder)
    assert torch.equal(ours.train.images, sample.train.images) and torch.equal(ours.test.labels, sample.test.labels)


def test_plain_cifar10_refuses_files_that_are_not_the_official_ones(tmp_path):
    copy = torchvision_copy(load_sample(), tmp_path)
    assert not copy.official and set(copy.md5) == set(OFFICIAL_MD5)
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        CIFAR10(copy.root, train=True, download=False)
    # our table of the official checksums is torchvision's own
    assert OFFICIAL_MD5 == {**dict(CIFAR10.train_list), **dict(CIFAR10.test_list),
                            CIFAR10.meta["filename"]: CIFAR10.meta["md5"]}


def test_the_copy_is_written_once_and_rewritten_when_incomplete(tmp_path):
    sample = load_sample()
    first = torchvision_copy(sample, tmp_path)
    again = torchvision_copy(sample, tmp_path)
    assert first.written and not again.written and again == type(first)(first.root, first.md5, False)
    (first.root / STAMP).unlink()  # as if a run was killed before it finished
    assert torchvision_copy(sample, tmp_path).written
    assert [p.name for p in (tmp_path / "torchvision").iterdir()] == [first.root.name]  # no temp folder left


def test_data_dir_in_torchvision_layout_is_read_where_it_is(tmp_path):
    write_torchvision_dir(tmp_path / "data")
    result = run(out=tmp_path / "out", data_dir=tmp_path / "data")
    assert result.root == tmp_path / "data" and not result.written and not result.official_files
    assert (result.train_size, result.test_size) == (100, 20) and result.same_as_source
    assert (result.loader.batches, result.loader.last_batch, result.loader.batches_drop_last) == (1, 20, 0)


def test_data_dir_with_npz_files_is_converted_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHSTART_CACHE", str(tmp_path / "cache"))
    data_dir = write_npz_dir(tmp_path / "npz", n_train=130, n_test=70)
    result = run(out=tmp_path / "out", data_dir=data_dir)
    assert result.root.parent == tmp_path / "cache" / "torchvision" and result.written
    assert (result.train_size, result.test_size) == (130, 70) and result.same_as_source
    assert result.first_targets == find_cifar10(data_dir).train.labels[:10].tolist()


def test_an_unwritable_cache_is_one_data_error(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(DataError, match="torchvision's layout") as err:
        torchvision_copy(load_sample(), blocked)
    assert "TORCHSTART_CACHE" in err.value.fix


def test_describe_in_chinese(lesson_result):
    with using("zh"):
        text = describe(lesson_result("datasets"))
    assert "训练集" in text or "批次" in text
    assert "len(train_set) = 2000" in text and "drop_last=True" in text


@pytest.mark.realdata
def test_full_data_set_sizes(tmp_path):
    result = run(out=tmp_path, data_dir=shared_data("cifar10"))
    assert (result.train_size, result.test_size) == (50000, 10000) and result.data_shape == [50000, 32, 32, 3]
    assert result.classes == list(CIFAR10_CLASSES) and result.same_as_source
    assert (result.loader.batches, result.loader.last_batch, result.loader.batches_drop_last) == (157, 16, 156)
