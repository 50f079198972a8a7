import os

import pytest
import torch

from torchstart.data import CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD
from torchstart.errors import CheckpointError
from torchstart.files import atomic_write
from torchstart.models import build_model
from torchstart.training.checkpoint import load_checkpoint, make_checkpoint, model_from_checkpoint, save_checkpoint


def make(model, **extra):
    return make_checkpoint(model, model_name="tudui", classes=CIFAR10_CLASSES, mean=CIFAR10_MEAN,
                           std=CIFAR10_STD, **extra)


def test_round_trip_gives_identical_logits(tmp_path):
    torch.manual_seed(0)
    model = build_model("tudui").to(memory_format=torch.channels_last).eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 32, 32)).sum().backward()
    optimizer.step()
    path = tmp_path / "c.pt"
    save_checkpoint(make(model, optimizer_state=optimizer.state_dict(), epoch=3, rng_state=torch.get_rng_state()),
                    path)
    loaded = load_checkpoint(path)
    assert loaded["epoch"] == 3 and loaded["classes"] == list(CIFAR10_CLASSES)
    assert loaded["normalization"] == {"mean": list(CIFAR10_MEAN), "std": list(CIFAR10_STD)}
    restored = model_from_checkpoint(loaded)
    for (name, a), (_, b) in zip(restored.state_dict().items(), model.state_dict().items()):
        assert torch.equal(a, b), name
    restored = restored.to(memory_format=torch.channels_last)  # same layout → same kernels → same bits
    x = torch.randn(5, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(restored(x), model(x))
    fresh = torch.optim.SGD(restored.parameters(), lr=0.1, momentum=0.9)
    fresh.load_state_dict(loaded["optimizer_state"])
    assert len(fresh.state) == len(optimizer.state)
    assert not list(tmp_path.glob(".*tmp"))  # no temp file left behind


def test_a_failed_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "last.pt"
    save_checkpoint(make(build_model("tudui"), epoch=1), path)

    def crash(f):
        f.write(b"half a checkpoint")
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of a save

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, crash)
    assert load_checkpoint(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["last.pt"]


def test_whole_pickled_model_is_refused(tmp_path):
    path = tmp_path / "whole.pth"
    torch.save(build_model("tudui"), path)  # what the course's torch.save(model) writes
    with pytest.raises(CheckpointError, match="needs full pickle.*import-course-model"):
        load_checkpoint(path)


def test_crafted_file_is_refused_and_its_payload_never_runs(tmp_path):
    marker = tmp_path / "payload-ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "torchstart.checkpoint", "model_state": Evil()}, path)
    with pytest.raises(CheckpointError, match="needs full pickle"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("content,match", [
    (b"", "not a readable PyTorch file"),
    (b"hello, I am a text file", "not a readable PyTorch file"),
])
def test_corrupt_files(tmp_path, content, match):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(path)


def test_truncated_checkpoint(tmp_path):
    path = tmp_path / "t.pt"
    save_checkpoint(make(build_model("tudui")), path)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="not a readable PyTorch file"):
        load_checkpoint(path)


def test_plain_state_dict_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "sd.pth"
    torch.save(build_model("tudui").state_dict(), path)
    with pytest.raises(CheckpointError, match="not a torchstart checkpoint"):
        load_checkpoint(path)


def test_missing_file():
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint("no/such/file.pt")


def test_weights_that_do_not_fit(tmp_path):
    checkpoint = make(build_model("tudui"))
    checkpoint["model_state"].pop("model.0.weight")
    with pytest.raises(CheckpointError, match="weights do not fit"):
        model_from_checkpoint(checkpoint)


def test_atomic_write_gives_a_normal_file_mode(tmp_path):
    import os

    from torchstart.files import atomic_write

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.bin", lambda f: f.write(b"x"))
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o644  # not mkstemp's owner-only 0o600
