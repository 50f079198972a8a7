"""Property-based tests (Hypothesis) over what a learner controls: CLI numbers and paths, image bytes, npz
contents and checkpoint dictionaries. Every example either works (exit 0) or fails with one clear line and
exit 2 — never a traceback, never a bug report (exit 70), never a file written outside --out.

The inputs come from tests/hostile.py. Example counts are small so the whole file runs in well under a
minute; the examples are derandomized, so CI sees the same ones every time (raise max_examples locally to
search harder: HYPOTHESIS_PROFILE=deep, ten times the examples, random ones).
"""

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from torchstart.cli import main
from torchstart.models import Tudui
from torchstart.training.checkpoint import make_checkpoint, save_checkpoint

settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else 1  # deep: ten times the examples, new ones

# File names: any Unicode, or raw bytes that are not UTF-8 at all (Linux allows both; Python shows the latter
# with surrogate escapes)
NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=40) | \
    st.binary(min_size=1, max_size=20).filter(lambda b: b"/" not in b and b"\x00" not in b).map(os.fsdecode)
NAMES = NAMES.filter(lambda name: name not in (".", ".."))  # the folder itself and its parent: not new paths


@contextlib.contextmanager
def sandbox() -> Iterator[Path]:
    """An empty folder as the working directory, the cache inside it; yields it, then checks what was written."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "cache").mkdir()
        before_cwd, before_env = os.getcwd(), os.environ.get("TORCHSTART_CACHE")
        os.chdir(root)
        os.environ["TORCHSTART_CACHE"] = str(root / "cache")
        try:
            yield root
        finally:
            os.chdir(before_cwd)
            if before_env is not None:
                os.environ["TORCHSTART_CACHE"] = before_env


def files_under(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


def run_cli(argv: list[str], root: Path, allowed: str = "out") -> tuple[int, str]:
    """Run the CLI; check the exit code and the one-line promise; return (code, stderr)."""
    before = files_under(root)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as stop:  # argparse: a value it cannot even parse
            code = stop.code
    text = err.getvalue()
    assert code in (0, 2), f"exit {code} for {argv}: {text}"
    assert "Traceback" not in text
    if code == 2:
        assert len(text.strip().splitlines()) == 1, text
    written = {p for p in files_under(root) - before if p.parts[0] not in (allowed, "cache")}
    assert not written, f"{argv} wrote outside --out: {sorted(written)}"
    return code, text


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "model.pt"
    save_checkpoint(make_checkpoint(Tudui(), model_name="tudui", classes=[f"c{i}" for i in range(10)],
                                    mean=(0.0,) * 3, std=(1.0,) * 3), path)
    return path


# ---- CLI numbers --------------------------------------------------------------------------------------------
NUMBERS = {
    "--epochs": st.integers(-2, 2),
    "--batch-size": st.integers(-1, 10**12),
    "--lr": st.floats(allow_nan=True, allow_infinity=True, width=64),
    "--seed": st.integers(-(2**65), 2**65),
    "--max-train-images": st.integers(-1, 10**7),
    "--val-fraction": st.floats(-1, 2) | st.just(float("nan")),
    "--image-size": st.integers(-8, 10**5),
}


@settings(max_examples=25 * SCALE)
@given(flags=st.dictionaries(st.sampled_from(sorted(NUMBERS)), st.none(), min_size=1, max_size=3).flatmap(
    lambda keys: st.fixed_dictionaries({k: NUMBERS[k] for k in keys})))
def test_train_numbers_work_or_fail_in_one_line(flags):
    argv = ["train", "--dry-run", "--quiet", "--out", "out", "--epochs", "1"]
    for flag, value in flags.items():
        argv.append(f"{flag}={value}")  # `=`: a negative number is a value, not a flag
    with sandbox() as root:
        run_cli(argv, root)


@settings(max_examples=15 * SCALE)
@given(port=st.integers(-(2**40), 2**40), topk=st.integers(-(2**70), 2**70))
def test_board_port_and_predict_topk_work_or_fail_in_one_line(checkpoint_file, port, topk):
    with sandbox() as root:
        if not 1 <= port <= 65535:  # a valid port would start a server that waits for Ctrl-C
            run_cli(["board", str(root), f"--port={port}"], root)
        image = root / "out" / "x.png"
        image.parent.mkdir()
        image.write_bytes(hostile.image_bytes("RGB", 9, 9, seed=0))
        run_cli(["predict", str(checkpoint_file), str(image), f"--topk={topk}"], root)


# ---- folder training: any batch size with any data size ------------------------------------------------------
FOLDER_MODELS = ("tudui", "speedrun", "resnet18", "mobilenet_v3_small")  # the course model and every BatchNorm model
FOLDER_REFUSALS = ("BatchNorm", "too few", "leaves no images to validate on", "loss became nan",  # exit 2 for these
                   "too small for model")


@pytest.mark.slow
@settings(max_examples=20 * SCALE)
@given(model=st.sampled_from(FOLDER_MODELS), recipe=st.sampled_from(("fast", "seed", "speedrun")),
       per_class=st.tuples(st.integers(1, 7), st.integers(1, 7)), batch=st.integers(1, 9),
       max_train=st.none() | st.integers(1, 9), val_fraction=st.floats(0.05, 0.95), side=st.sampled_from((8, 12, 16)))
def test_folder_training_takes_any_batch_size_with_any_data_size(model, recipe, per_class, batch, max_train,
                                                                 val_fraction, side):
    with sandbox() as root:
        for label, count in enumerate(per_class):  # two class folders of tiny photos, one colour each
            (root / "out" / "photos" / f"c{label}").mkdir(parents=True)
            for i in range(count):
                path = root / "out" / "photos" / f"c{label}" / f"{i}.png"
                path.write_bytes(hostile.image_bytes("RGB", 12, 10, seed=label * 10 + i))
        argv = ["train", "--quiet", "--epochs", "1", "--device", "cpu", "--precision", "fp32", f"--image-size={side}",
                "--model", model, "--recipe", recipe, f"--batch-size={batch}", f"--val-fraction={val_fraction}",
                "--data-dir", str(root / "out" / "photos"), "--out", str(root / "out" / "run")]
        code, err = run_cli(argv + ([f"--max-train-images={max_train}"] if max_train else []), root)
        assert code == 0 or any(reason in err for reason in FOLDER_REFUSALS), err
        assert ("BatchNorm" in err) == (batch == 1 and model != "tudui"), err


# ---- paths ----------------------------------------------------------------------------------------------------
@settings(max_examples=40 * SCALE)
@given(name=NAMES, kind=st.sampled_from([None, *hostile.SPECIAL_FILES]), long=st.booleans())
def test_odd_paths_work_or_fail_in_one_line(checkpoint_file, name, kind, long):
    with sandbox() as root:
        folder = root / "out"
        folder.mkdir()
        if long:
            name = name * (300 // len(os.fsencode(name)) + 1)  # longer than the OS allows a name to be
            path = folder / name
        elif kind is None:
            path = folder / name  # does not exist
        else:
            path = hostile.special_file(folder, kind, name)
        for argv in (["predict", str(checkpoint_file), str(path)], ["evaluate", str(path)],
                     ["train", "--dry-run", "--data-dir", str(path), "--out", str(folder / "run")],
                     ["train", "--resume", str(path)], ["runs", str(path)], ["board", str(path)]):
            run_cli(argv, root)


# ---- image bytes ----------------------------------------------------------------------------------------------
@settings(max_examples=80 * SCALE)
@given(mode=st.sampled_from(sorted(hostile.IMAGE_MODES)), width=st.integers(1, 48), height=st.integers(1, 48),
       seed=st.integers(0, 2**16), damage=st.none() | st.tuples(st.sampled_from(hostile.CORRUPTIONS),
                                                                  st.floats(0, 1), st.integers(0, 99)))
def test_any_image_bytes_predict_or_fail_in_one_line(checkpoint_file, mode, width, height, seed, damage):
    data = hostile.image_bytes(mode, width, height, seed)
    if damage is not None:
        data = hostile.corrupt(data, *damage)
    with sandbox() as root:
        path = root / "out" / "photo.img"
        path.parent.mkdir()
        path.write_bytes(data)
        code, _ = run_cli(["predict", str(checkpoint_file), str(path)], root)
        assert damage is not None or code == 0, f"a valid {mode} {width}×{height} image was refused"


# ---- npz contents ---------------------------------------------------------------------------------------------
@settings(max_examples=40 * SCALE)
@given(n=st.integers(0, 6), shape=st.sampled_from([(32, 32, 3), (32, 32), (3, 32, 32), (16, 16, 3), (32, 32, 4)]),
       dtype=st.sampled_from(["uint8", "float32", "int64", "bool"]),
       labels=st.sampled_from([(0, 9), (-1, 9), (0, 10), (0, 0)]), labels_n=st.none() | st.integers(0, 6))
def test_any_npz_contents_train_or_fail_in_one_line(checkpoint_file, n, shape, dtype, labels, labels_n):
    with sandbox() as root:
        arrays = hostile.npz_arrays(n, shape, dtype, labels, labels_n, seed=n)
        data = hostile.write_npz_dir(root / "out" / "npz", arrays, arrays)
        run_cli(["evaluate", str(checkpoint_file), "--data-dir", str(data)], root)
        run_cli(["train", "--dry-run", "--quiet", "--data-dir", str(data), "--out", str(root / "out" / "run")], root)


# ---- checkpoint dictionaries ----------------------------------------------------------------------------------
VALUES = st.recursive(st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True)
                      | st.text(max_size=8) | st.just(torch.zeros(2, 2)),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                  max_size=3), max_leaves=8)
KEYS = ["format_version", "model_name", "num_classes", "classes", "normalization", "input_size", "model_state",
        "config", "history", "epoch", "optimizer_state", "rng_state"]


@settings(max_examples=40 * SCALE)
@given(key=st.sampled_from(KEYS), value=VALUES, removed=st.booleans())
def test_any_damaged_checkpoint_is_used_or_refused_in_one_line(trained_run, key, value, removed):
    from torchstart.training.checkpoint import load_checkpoint

    base = load_checkpoint(trained_run / "checkpoints" / "last.pt")  # a full training checkpoint
    with sandbox() as root:
        run = root / "out" / "run"
        (run / "checkpoints").mkdir(parents=True)
        path = run / "checkpoints" / "last.pt"
        save_checkpoint(hostile.damaged_checkpoint(base, key, None if removed else value), path)
        image = root / "out" / "x.png"
        image.write_bytes(hostile.image_bytes("RGB", 9, 9, seed=0))
        run_cli(["evaluate", str(path)], root)
        run_cli(["predict", str(path), str(image)], root)
        run_cli(["train", "--resume", str(run), "--epochs", "2", "--quiet"], root)


def test_an_image_size_the_model_shrinks_to_nothing_is_refused_up_front():
    """speedrun pools 8 px down to 0×0 (torch: "Output size is too small", exit 70 before); tudui pools adaptively."""
    from torchstart.config import TrainConfig
    from torchstart.errors import ConfigError
    from torchstart.training.build import check_image_size

    with pytest.raises(ConfigError, match=r"--image-size 8 is too small for model speedrun.*--image-size 12 or more"):
        check_image_size(TrainConfig(model="speedrun", image_size=8))
    check_image_size(TrainConfig(model="speedrun", image_size=12))
    check_image_size(TrainConfig(model="tudui", image_size=8))
