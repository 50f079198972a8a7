"""Lesson 7 (datasets): torchvision's CIFAR10 on the embedded sample, read from the executed script's variables;
and the sample folder itself — torchvision's file layout, written once into the cache."""

import multiprocessing
import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader
from torchvision.datasets import CIFAR10
from torchvision.transforms import ToTensor

import torchstart
from conftest import shared_data, write_npz_dir, write_torchvision_dir
from torchstart.data import CIFAR10_CLASSES, find_cifar10, load_sample
from torchstart.data.cifar10 import load_torchvision_dir
from torchstart.data.torchvision_files import OFFICIAL_MD5, STAMP, torchvision_copy
from torchstart.errors import DataError


@pytest.fixture(scope="module")
def ns(lesson_run):
    return lesson_run(7).namespace


class FilesCIFAR10(CIFAR10):
    """torchvision's CIFAR10 told the MD5s of the files at hand (for folders without torchstart's stamp)."""

    def __init__(self, root, md5, **kwargs):
        self.train_list = [[name, md5[name]] for name, _official in CIFAR10.train_list]
        self.test_list = [[name, md5[name]] for name, _official in CIFAR10.test_list]
        self.meta = {**CIFAR10.meta, "md5": md5[CIFAR10.meta["filename"]]}
        super().__init__(root, **kwargs)


def test_the_sample_in_torchvisions_layout(ns):
    assert (ns["root"] / STAMP).is_file() and ns["root"].name.startswith("sample-")
    assert sorted(p.name for p in (ns["root"] / "cifar-10-batches-py").iterdir()) == sorted(OFFICIAL_MD5)
    assert set(ns["batch"]) == {"batch_label", "labels", "data", "filenames"}
    assert ns["batch"]["data"].shape == (400, 3072) and ns["batch"]["labels"][:10] == list(range(10))
    assert ns["file_matches_data"] is True


def test_plain_cifar10_refuses_the_sample_but_its_checked_twin_reads_it(ns):
    assert "Dataset not found or corrupted" in ns["plain_class_error"]
    assert isinstance(ns["trainset"], CIFAR10)  # torchstart.CIFAR10 is torchvision's class


def test_torchvision_cifar10_shows_the_course_attributes(ns):
    sample = load_sample()
    trainset = ns["trainset"]
    assert (ns["train_data_size"], ns["test_data_size"]) == (2000, 500)
    assert trainset.data.shape == (2000, 32, 32, 3) and trainset.data.dtype == np.uint8
    assert trainset.classes == list(CIFAR10_CLASSES)
    assert trainset.class_to_idx == {name: i for i, name in enumerate(CIFAR10_CLASSES)}
    assert trainset.targets[:10] == sample.train.labels[:10].tolist() == list(range(10))  # the sample interleaves
    # .data and .targets are the images and labels the files were written from
    assert torch.equal(torch.from_numpy(trainset.data), sample.train.images)
    assert trainset.targets == sample.train.labels.tolist() and ns["testset"].targets == sample.test.labels.tolist()


def test_an_item_after_to_tensor_and_normalize(ns):
    img, target = ns["img"], ns["target"]
    assert img.shape == (3, 32, 32) and img.dtype == torch.float32
    assert target == 0 and ns["trainset"].classes[target] == "airplane"
    low, high = ns["image_range"]
    assert 0.0 <= low < high <= 1.0
    assert ns["normalized_range"] == pytest.approx((2 * low - 1, 2 * high - 1), abs=1e-6)
    torch.testing.assert_close(img, (ns["raw"] - 0.5) / 0.5)


def test_the_course_dataloaders_with_two_workers_and_drop_last(ns):
    assert (len(ns["trainloader"]), len(ns["testloader"])) == (32, 8)  # ⌈2000 / 64⌉, ⌈500 / 64⌉
    assert ns["trainloader"].num_workers == ns["testloader"].num_workers == 2
    assert ns["batch_sizes"] == [64] * 7 + [500 - 7 * 64] == [64] * 7 + [52]
    assert ns["batch_sizes_drop_last"] == [64] * 7  # ⌊500 / 64⌋: the 52 left over are dropped
    assert ns["with_workers"][0][0].shape == (64, 3, 32, 32) and len(ns["with_workers"]) == 8
    assert ns["same_as_no_workers"] is True  # workers change who loads, not what is loaded
    assert ns["with_workers"][0][1].tolist() != ns["testset"].targets[:64]  # shuffled, not in file order
    assert multiprocessing.get_start_method() in ("fork", "spawn", "forkserver")


def test_the_course_loop_is_under_the_main_guard(lesson_run):
    source = "\n".join(run.cell.source for run in lesson_run(7).cells)
    guarded = source.split('if __name__ == "__main__":')
    assert len(guarded) == 4 and "for data in testloader:" in guarded[1]


def test_the_chinese_view_runs_the_same_code_with_chinese_comments(lesson_run):
    zh = lesson_run(7, "zh")
    assert zh.namespace["batch_sizes"] == lesson_run(7).namespace["batch_sizes"]
    sources = "\n".join(run.cell.source for run in zh.cells)
    assert "官方文件是 Python 2 写的" in sources and "the official files come from Python 2" not in sources


# The sample folder the lesson reads (torchstart.sample("cifar10") → torchvision_copy), on its own.

def test_torchvision_dataset_images_equal_the_sample(tmp_path):
    sample = load_sample()
    copy = torchvision_copy(sample, tmp_path)
    for train, split in ((True, sample.train), (False, sample.test)):
        theirs = torchstart.CIFAR10(copy.root, train=train, download=False)
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


def loader_numbers(dataset) -> tuple[int, int, int]:
    """The lesson's DataLoader(batch_size=64): batches, the size of the last one, batches with drop_last=True."""
    sizes = [len(targets) for _imgs, targets in DataLoader(dataset, batch_size=64)]
    return len(sizes), sizes[-1], len(DataLoader(dataset, batch_size=64, drop_last=True))


def test_a_folder_in_torchvision_layout_is_read_where_it_is(tmp_path):
    write_torchvision_dir(tmp_path / "data")
    data = find_cifar10(tmp_path / "data")
    copy = torchvision_copy(data)
    assert copy.root == tmp_path / "data" and not copy.written and not copy.official
    trainset = FilesCIFAR10(copy.root, copy.md5, train=True, download=False)
    testset = FilesCIFAR10(copy.root, copy.md5, train=False, download=False, transform=ToTensor())
    assert (len(trainset), len(testset)) == (100, 20)
    assert torch.equal(torch.from_numpy(trainset.data), data.train.images)
    assert loader_numbers(testset) == (1, 20, 0)


def test_npz_files_are_converted_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHSTART_CACHE", str(tmp_path / "cache"))
    data = find_cifar10(write_npz_dir(tmp_path / "npz", n_train=130, n_test=70))
    copy = torchvision_copy(data)
    assert copy.root.parent == tmp_path / "cache" / "torchvision" and copy.written
    trainset = torchstart.CIFAR10(copy.root, train=True, download=False)  # the stamp lists the copy's MD5s
    assert (len(trainset), len(torchstart.CIFAR10(copy.root, train=False))) == (130, 70)
    assert torch.equal(torch.from_numpy(trainset.data), data.train.images)
    assert trainset.targets[:10] == data.train.labels[:10].tolist()


def test_an_unwritable_cache_is_one_data_error(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(DataError, match="torchvision's layout") as err:
        torchvision_copy(load_sample(), blocked)
    assert "TORCHSTART_CACHE" in err.value.fix


@pytest.mark.realdata
def test_full_data_set_sizes():
    data = find_cifar10(shared_data("cifar10"))
    copy = torchvision_copy(data)
    trainset = torchstart.CIFAR10(copy.root, train=True, download=False)
    testset = torchstart.CIFAR10(copy.root, train=False, download=False)
    assert (len(trainset), len(testset)) == (50000, 10000) and trainset.data.shape == (50000, 32, 32, 3)
    assert trainset.classes == list(CIFAR10_CLASSES) and trainset.targets == data.train.labels.tolist()
    assert torch.equal(torch.from_numpy(testset.data), data.test.images)
    batches = len(DataLoader(testset, batch_size=64))
    drop_last = len(DataLoader(testset, batch_size=64, drop_last=True))
    assert (batches, len(testset) - drop_last * 64, drop_last) == (157, 16, 156)
