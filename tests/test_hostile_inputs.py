"""Odd files a learner feeds torchstart: each is converted, or reported in one line that names it.

Every file is made here: images of every awkward kind for `predict` and folder scans, broken
CIFAR-10 folders for `train` / `evaluate`, and an output folder that cannot be written.
"""

import errno
import io
import json
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import fake_cifar, write_npz_dir, write_torchvision_dir
from torchstart import files as files_module
from torchstart.cli import main
from torchstart.data import CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD
from torchstart.data.scan import scan_image_folder
from torchstart.errors import DataError, TorchstartError
from torchstart.files import atomic_write
from torchstart.models import Tudui
from torchstart.training.checkpoint import load_checkpoint, make_checkpoint, save_checkpoint

HANDLED = ("cmyk.jpg", "deep16.png", "rgba.png", "palette.gif", "猫的 照片.png")
BROKEN = {  # file → what the one-line report must say about it
    "empty.jpg": "is an empty file (0 bytes)",
    "truncated.jpg": "could not be decoded (OSError: image file is truncated",
    "notes.jpg": "is not an image Pillow can read",
    "huge.png": "is too large to open safely (Image size (100000000 pixels) exceeds limit",
}


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    """A real 10,000×10,000 PNG (100 megapixels) of 12 kB: 1 bit per pixel, all zero, compresses to nothing."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    return buffer.getvalue()


def write_hostile_images(folder: Path, huge_png: bytes) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    jpeg = io.BytesIO()
    photo.save(jpeg, "JPEG")
    rgba = photo.convert("RGBA")
    rgba.putalpha(Image.fromarray(rng.integers(0, 256, (48, 64), dtype=np.uint8)))
    files = {
        "empty.jpg": b"",
        "truncated.jpg": jpeg.getvalue()[: len(jpeg.getvalue()) // 2],
        "notes.jpg": b"shopping list: milk, eggs",
        "huge.png": huge_png,
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    photo.convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray(np.arange(48 * 64, dtype=np.uint16).reshape(48, 64) * 20).save(folder / "deep16.png")
    rgba.save(folder / "rgba.png")
    photo.convert("P", palette=Image.Palette.ADAPTIVE).save(folder / "palette.gif")
    photo.save(folder / "猫的 照片.png")
    assert Image.open(folder / "deep16.png").mode == "I;16" and Image.open(folder / "cmyk.jpg").mode == "CMYK"
    return {path.name: path for path in folder.iterdir()}


@pytest.fixture
def images(tmp_path, huge_png) -> dict[str, Path]:
    return write_hostile_images(tmp_path / "inputs", huge_png)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """An untrained course model: predict and evaluate only need a valid checkpoint."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "model.pt"
    save_checkpoint(make_checkpoint(Tudui(), model_name="tudui", classes=CIFAR10_CLASSES, mean=CIFAR10_MEAN,
                                    std=CIFAR10_STD), path)
    return path


def run_cli(argv, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


def assert_one_line_error(code: int, err: str) -> None:
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err


# ---- predict ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", HANDLED)
def test_predict_converts_awkward_images(checkpoint, images, capsys, name):
    code, out, err = run_cli(["predict", checkpoint, images[name], "--topk", "10", "--json"], capsys)
    assert code == 0, err
    (prediction,) = json.loads(out)["predictions"]
    assert prediction["image"] == str(images[name])
    probabilities = [top["probability"] for top in prediction["top"]]
    assert sorted(top["class"] for top in prediction["top"]) == sorted(CIFAR10_CLASSES)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-5) and probabilities == sorted(probabilities, reverse=True)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_predict_names_a_broken_image_in_one_line(checkpoint, images, capsys, name):
    code, out, err = run_cli(["predict", checkpoint, images["rgba.png"], images[name]], capsys)
    assert_one_line_error(code, err)
    assert f"{images[name]} {BROKEN[name]}" in err
    assert out == ""  # nothing is printed for the good image before the bad one is found


def test_predict_text_output_with_a_non_ascii_path(checkpoint, images, capsys):
    code, out, err = run_cli(["predict", checkpoint, images["猫的 照片.png"]], capsys)
    assert code == 0, err
    first = out.splitlines()[0]
    assert re.fullmatch(rf"{re.escape(str(images['猫的 照片.png']))}: (\w+ \d+\.\d%, ){{2}}\w+ \d+\.\d%", first)


def test_predict_a_folder_means_its_images(checkpoint, tmp_path, images, capsys):
    good = tmp_path / "good"
    good.mkdir()
    for name in HANDLED:
        (good / name).write_bytes(images[name].read_bytes())
    (good / "readme.txt").write_text("not an image: left out by its name")
    code, out, err = run_cli(["predict", checkpoint, good, "--json"], capsys)
    assert code == 0, err
    assert [p["image"] for p in json.loads(out)["predictions"]] == [str(good / name) for name in sorted(HANDLED)]


def test_predict_a_folder_without_images(checkpoint, tmp_path, capsys):
    folder = tmp_path / "nothing here"
    folder.mkdir()
    (folder / "readme.txt").write_text("no pictures")
    code, _, err = run_cli(["predict", checkpoint, folder], capsys)
    assert_one_line_error(code, err)
    assert f"folder {folder} holds no image files" in err


# ---- folder scans ----------------------------------------------------------------------------------------------

def test_scan_keeps_what_converts_and_reports_the_rest(tmp_path, huge_png):
    root = tmp_path / "pets"
    cats = write_hostile_images(root / "cats", huge_png)
    (root / "cats" / "notes.txt").write_text("a text file in a class folder")
    (root / "cats" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden: ignored, not reported
    (root / "cats" / "more").mkdir()
    (root / "dogs").mkdir()
    Image.new("RGB", (8, 8), (200, 150, 100)).save(root / "dogs" / "rex.jpg")
    (root / ".ipynb_checkpoints").mkdir()  # Jupyter's folder is not a class

    scan = scan_image_folder(root)
    assert scan.classes == ("cats", "dogs")
    assert scan.samples == tuple([(cats[name], 0) for name in sorted(HANDLED)] + [(root / "dogs" / "rex.jpg", 1)])
    reasons = dict(scan.skipped)
    assert set(reasons) == {cats[name] for name in BROKEN} | {root / "cats" / "notes.txt", root / "cats" / "more"}
    for name, reason in BROKEN.items():
        assert reasons[cats[name]].startswith(reason), name
    assert reasons[root / "cats" / "notes.txt"].startswith("is not an image file type")
    assert scan.counts() == {"cats": len(HANDLED), "dogs": 1}
    assert scan.describe() == f"found 6 images in 2 classes (cats 5, dogs 1) under {root}; skipped 6 files"
    lines = scan.skipped_lines()
    assert len(lines) == 6 and f"skipped {cats['huge.png']}: is too large to open safely" in "\n".join(lines)


def test_scan_without_decoding_trusts_the_names(tmp_path, huge_png):
    write_hostile_images(tmp_path / "root" / "a", huge_png)
    scan = scan_image_folder(tmp_path / "root", decode=False)
    assert len(scan.samples) == len(HANDLED) + len(BROKEN) and scan.skipped == ()


@pytest.mark.parametrize("layout,match", [
    ({}, "has no class folders"),
    ({"x.jpg": "image"}, r"has no class folders \(it holds 1 image directly\)"),
    ({"ants/a.jpg": "image", "bees/": None}, "class folder {root}/bees has no usable images — fix: add images"),
    ({"ants/a.jpg": "image", "bees/b.jpg": b"", "bees/c.txt": b"x"},
     r"class folder {root}/bees has no usable images \(2 files left out, e\.g\. b\.jpg is an empty file"),
])
def test_scan_errors_name_the_folder(tmp_path, layout, match):
    root = tmp_path / "data"
    root.mkdir()
    for name, content in layout.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == "image":
            Image.new("RGB", (4, 4)).save(path)
        elif content is None:
            path.mkdir()
        else:
            path.write_bytes(content)
    with pytest.raises(DataError, match=match.replace("{root}", re.escape(str(root)))):
        scan_image_folder(root)


def test_scan_of_a_missing_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        scan_image_folder(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="is a file, not a folder"):
        scan_image_folder(tmp_path / "file")


# ---- broken CIFAR-10 folders through the CLI -------------------------------------------------------------------

class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def break_npz(folder: Path, problem: str, marker: Path) -> None:
    write_npz_dir(folder)
    images, labels = fake_cifar(20)
    arrays = {
        "shape": dict(images=images[:, :, :, :1], labels=labels),
        "dtype": dict(images=images.astype(np.float32) / 255, labels=labels),
        "labels 10": dict(images=images, labels=labels + 1),
        "negative labels": dict(images=images, labels=labels - 1),
        "float labels": dict(images=images, labels=labels.astype(np.float64)),
        "no images": dict(images=images[:0], labels=labels[:0]),
        "pickled payload": dict(images=np.array([Payload(marker)], dtype=object), labels=labels[:1]),
    }
    if problem in arrays:
        np.savez(folder / "train.npz", **arrays[problem])
    elif problem == "truncated npz":
        blob = (folder / "train.npz").read_bytes()
        (folder / "train.npz").write_bytes(blob[: len(blob) // 2])
    elif problem == "empty classes.txt":
        (folder / "classes.txt").write_text("\n")


NPZ_PROBLEMS = {
    "shape": r"train\.npz: images must be uint8 N×32×32×3, found uint8 \(20, 32, 32, 1\)",
    "dtype": r"train\.npz: images must be uint8 N×32×32×3, found float32",
    "labels 10": r"train\.npz: labels must be in 0\.\.9, found 1\.\.10",
    "negative labels": r"train\.npz: labels must be in 0\.\.9, found -1\.\.8",
    "float labels": r"train\.npz: labels must be N integers matching 20 images, found float64",
    "no images": r"train\.npz: holds no images",
    "pickled payload": r"train\.npz is not a readable npz file \(ValueError: Object arrays cannot be loaded",
    "truncated npz": r"train\.npz is not a readable npz file \(BadZipFile",
    "empty classes.txt": r"classes\.txt must list at least 2 different class names, found 0",
}


def break_batches(root: Path, problem: str) -> None:
    folder, _, _ = write_torchvision_dir(root)
    batch = folder / "data_batch_3"
    if problem == "truncated batch":
        batch.write_bytes(batch.read_bytes()[:1000])
    elif problem == "missing batch":
        batch.unlink()
    elif problem == "wrong size batch":
        batch.write_bytes(pickle.dumps({"data": np.zeros((20, 3000), np.uint8), "labels": [0] * 20}, protocol=2))


BATCH_PROBLEMS = {
    "truncated batch": r"data_batch_3 is not a readable CIFAR-10 batch \((UnpicklingError|EOFError)",
    "missing batch": r"data_batch_3 is missing",
    "wrong size batch": r"data_batch_3 is not a readable CIFAR-10 batch \(ValueError: cannot reshape",
}


@pytest.mark.parametrize("command", ["train", "evaluate"])
@pytest.mark.parametrize("problem", [*NPZ_PROBLEMS, *BATCH_PROBLEMS])
def test_broken_data_dirs_are_one_line_exit_2(tmp_path, checkpoint, capsys, monkeypatch, command, problem):
    marker = tmp_path / "payload-ran"
    data_dir = tmp_path / "cifar"
    if problem in NPZ_PROBLEMS:
        break_npz(data_dir, problem, marker)
    else:
        break_batches(data_dir, problem)
    out = tmp_path / "run"
    monkeypatch.setattr("torchstart.training.job.fit", lambda *a, **k: pytest.fail("training started on broken data"))
    argv = (["train", "--dry-run", "--epochs", "1", "--out", out, "--quiet"] if command == "train"
            else ["evaluate", checkpoint])
    code, _, err = run_cli(argv + ["--data-dir", data_dir], capsys)
    assert_one_line_error(code, err)
    assert re.search((NPZ_PROBLEMS | BATCH_PROBLEMS)[problem], err), err
    assert str(data_dir) in err and " — fix: " in err
    assert not out.exists() and not marker.exists()


def test_the_npz_payload_is_real(tmp_path):
    break_npz(tmp_path / "cifar", "pickled payload", tmp_path / "payload-ran")
    np.load(tmp_path / "cifar" / "train.npz", allow_pickle=True)["images"]  # what allow_pickle=True would do
    assert (tmp_path / "payload-ran").exists()


# ---- output folder: read-only, full disk -----------------------------------------------------------------------

@pytest.mark.parametrize("code_", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_unwritable_out_stops_before_training(tmp_path, capsys, monkeypatch, code_):
    out = tmp_path / "run"
    real_write_bytes = Path.write_bytes

    def failing_write_bytes(self, data):
        if out in self.parents:  # the write probe (and anything else) inside --out fails like the real disk would
            raise OSError(code_, os.strerror(code_), str(self))
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing_write_bytes)
    monkeypatch.setattr("torchstart.training.job.fit", lambda *a, **k: pytest.fail("training started"))
    code, _, err = run_cli(["train", "--dry-run", "--epochs", "1", "--out", out, "--quiet"], capsys)
    assert_one_line_error(code, err)
    assert f"cannot write the output directory {out}" in err and os.strerror(code_) in err
    assert not list(out.rglob("*.pt")) and not (out / "metrics.json").exists()


def test_out_below_a_file(tmp_path, capsys):
    blocker = tmp_path / "results.txt"
    blocker.write_text("a file where a folder should be")
    code, _, err = run_cli(["train", "--dry-run", "--epochs", "1", "--out", blocker / "run", "--quiet"], capsys)
    assert_one_line_error(code, err)
    assert f"cannot write the output directory {blocker / 'run'}" in err


def test_disk_full_during_a_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_checkpoint(make_checkpoint(Tudui(), model_name="tudui", classes=CIFAR10_CLASSES, mean=CIFAR10_MEAN,
                                    std=CIFAR10_STD, epoch=1), path)

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files_module.os, "fsync", disk_full)
    with pytest.raises(TorchstartError, match=f"cannot write {re.escape(str(path))}: no space left on the device; the "
                                              "file it would replace is unchanged"):
        atomic_write(path, lambda f: f.write(b"epoch 2"))
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1 and os.listdir(tmp_path) == ["last.pt"]


def test_disk_full_mid_run_is_one_line(tmp_path, capsys, monkeypatch):
    real_mkstemp = files_module.tempfile.mkstemp

    def mkstemp(*args, prefix="", **kwargs):
        if prefix.startswith(".last.pt."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_mkstemp(*args, prefix=prefix, **kwargs)

    monkeypatch.setattr(files_module.tempfile, "mkstemp", mkstemp)
    out = tmp_path / "run"
    code, _, err = run_cli(["train", "--dry-run", "--epochs", "1", "--max-train-images", "64", "--out", out,
                            "--quiet"], capsys)
    assert_one_line_error(code, err)
    assert f"cannot write {out / 'checkpoints' / 'last.pt'}: no space left on the device" in err
