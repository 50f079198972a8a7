"""Where CIFAR-10 comes from: each source, the search order, and clear errors for bad folders."""

import pickle

import numpy as np
import pytest
import torch

from conftest import fake_cifar, shared_data, write_npz_dir, write_torchvision_dir
from torchstart.data import cifar10
from torchstart.data.cifar10 import CIFAR10_CLASSES, find_cifar10, load_sample
from torchstart.errors import DataError


def test_embedded_sample_is_real_balanced_cifar():
    data = load_sample()
    assert data.is_sample and data.classes == CIFAR10_CLASSES
    assert data.train.images.shape == (2000, 32, 32, 3) and data.train.images.dtype == torch.uint8
    assert data.test.images.shape == (500, 32, 32, 3)
    assert torch.bincount(data.train.labels).tolist() == [200] * 10
    assert torch.bincount(data.test.labels).tolist() == [50] * 10
    # Real photos, not noise: neighbouring pixels are strongly correlated.
    x = data.train.images.float()
    assert torch.corrcoef(torch.stack([x[:, :, :-1].flatten(), x[:, :, 1:].flatten()]))[0, 1] > 0.8
    assert "embedded CIFAR-10 sample" in data.describe() and "--data-dir" in data.describe()


@pytest.mark.realdata
def test_embedded_sample_images_are_taken_from_the_shared_set():
    folder = shared_data("cifar10")
    source_index = np.load(cifar10.resources.files("torchstart.data") / "samples" / cifar10.SAMPLE_FILE)[
        "test_source_index"]
    with np.load(folder / "test.npz") as full:
        expected = full["images"][source_index]
    assert np.array_equal(load_sample().test.images.numpy(), expected)


def test_nothing_found_falls_back_to_sample():
    assert find_cifar10().layout == "sample"


def test_npz_dir(npz_dir):
    data = find_cifar10(npz_dir)
    images, labels = fake_cifar(100, 1)
    assert data.layout == "npz" and len(data.train) == 100 and len(data.test) == 50
    assert np.array_equal(data.train.images.numpy(), images) and np.array_equal(data.train.labels.numpy(), labels)
    assert data.describe() == f"using CIFAR-10 from {npz_dir} (npz), 100 train / 50 test"


def test_npz_dir_with_classes_txt(npz_dir):
    (npz_dir / "classes.txt").write_text("\n".join(f"c{i}" for i in range(10)) + "\n")
    assert find_cifar10(npz_dir).classes == tuple(f"c{i}" for i in range(10))


def test_torchvision_layout_from_parent_or_the_folder_itself(tmp_path):
    folder, images, labels = write_torchvision_dir(tmp_path)
    for where in (tmp_path, folder):
        data = find_cifar10(where)
        assert data.layout == "torchvision" and len(data.train) == 100 and len(data.test) == 20
        assert np.array_equal(data.train.images.numpy(), images)  # CHW rows came back as HWC
        assert np.array_equal(data.train.labels.numpy(), labels)


def test_torchvision_reader_matches_torchvision(tmp_path):
    torchvision = pytest.importorskip("torchvision")
    write_torchvision_dir(tmp_path)
    ours = find_cifar10(tmp_path)

    class NoCheck(torchvision.datasets.CIFAR10):
        def _check_integrity(self):  # our fake files have other checksums than the official ones
            return True

        def _load_meta(self):
            self.classes = list(CIFAR10_CLASSES)

    theirs = NoCheck(str(tmp_path), train=True)
    assert np.array_equal(ours.train.images.numpy(), theirs.data)
    assert ours.train.labels.tolist() == theirs.targets


def test_malicious_batch_file_is_refused_without_running(tmp_path):
    folder, _, _ = write_torchvision_dir(tmp_path)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (folder / "data_batch_1").write_bytes(pickle.dumps({"data": Payload(), "labels": []}))
    with pytest.raises(DataError, match="data_batch_1 is not a readable CIFAR-10 batch"):
        find_cifar10(tmp_path)
    assert not marker.exists()


def test_truncated_batch_file(tmp_path):
    folder, _, _ = write_torchvision_dir(tmp_path)
    blob = (folder / "test_batch").read_bytes()
    (folder / "test_batch").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match="test_batch is not a readable CIFAR-10 batch.*fix:"):
        find_cifar10(tmp_path)


def test_env_var_then_cache_then_sample(tmp_path, monkeypatch):
    env_root = tmp_path / "env"
    write_npz_dir(env_root / "cifar10", n_train=30, n_test=10)
    cache = tmp_path / "cache"
    write_npz_dir(cache / "cifar10", n_train=40, n_test=10)
    monkeypatch.setenv("TORCHSTART_CACHE", str(cache))
    monkeypatch.setenv("TORCHSTART_DATA", str(env_root))
    assert len(find_cifar10().train) == 30
    monkeypatch.setenv("TORCHSTART_DATA", str(tmp_path / "empty"))
    assert len(find_cifar10().train) == 40
    monkeypatch.setenv("TORCHSTART_CACHE", str(tmp_path / "nothing"))
    assert find_cifar10().is_sample


def test_failed_download_is_one_clear_error(monkeypatch):
    import torchvision

    def offline(*args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", offline)
    with pytest.raises(DataError, match="downloading CIFAR-10 failed.*fix: on a machine with internet"):
        find_cifar10(download_ok=True)


def test_download_uses_torchvision_then_our_reader(monkeypatch):
    import torchvision

    calls = []

    def fake_download(root, train, download):
        calls.append((root, train, download))
        if not (cifar10.Path(root) / "cifar-10-batches-py").exists():
            write_torchvision_dir(cifar10.Path(root))

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", fake_download)
    data = find_cifar10(download_ok=True)
    assert data.layout == "torchvision" and [c[1:] for c in calls] == [(True, True), (False, True)]
    assert find_cifar10().layout == "torchvision"  # now found in the cache without downloading


@pytest.mark.parametrize("problem,match", [
    ("missing", "does not exist"),
    ("empty", "holds no CIFAR-10"),
    ("shape", "images must be uint8 N×32×32×3"),
    ("dtype", "images must be uint8"),
    ("labels", r"labels must be in 0\.\.9"),
    ("count", "labels must be N integers"),
    ("garbage", "not a readable npz"),
    ("keys", "missing array"),
])
def test_bad_data_dirs(tmp_path, problem, match):
    folder = tmp_path / "d"
    if problem != "missing":
        write_npz_dir(folder)
    images, labels = fake_cifar(10)
    bad = {
        "shape": dict(images=images[:, :16], labels=labels),
        "dtype": dict(images=images.astype(np.float32), labels=labels),
        "labels": dict(images=images, labels=labels + 5),
        "count": dict(images=images, labels=labels[:5]),
        "keys": dict(pictures=images, labels=labels),
    }
    if problem == "empty":
        for f in folder.iterdir():
            f.unlink()
    elif problem == "garbage":
        (folder / "train.npz").write_bytes(b"not a zip file at all")
    elif problem in bad:
        np.savez(folder / "train.npz", **bad[problem])
    with pytest.raises(DataError, match=match):
        find_cifar10(folder)


def test_subset_is_random_and_seeded():
    split = load_sample().train
    a, b = split.subset(100, seed=1), split.subset(100, seed=1)
    assert torch.equal(a.labels, b.labels) and len(a) == 100
    assert len(set(a.labels.tolist())) >= 8  # not the first 100 of a class-sorted file
    assert not torch.equal(a.labels, split.subset(100, seed=2).labels)


@pytest.mark.realdata
def test_full_shared_cifar10():
    data = find_cifar10(shared_data("cifar10"))
    assert (len(data.train), len(data.test)) == (50000, 10000)
    assert data.classes == CIFAR10_CLASSES
    mean = data.train.images.float().mean(dim=(0, 1, 2)) / 255
    assert torch.allclose(mean, torch.tensor(cifar10.CIFAR10_MEAN), atol=1e-3)
