"""Shared fixtures: an isolated data environment, tiny CIFAR-10 folders, the real-data helper, the course site."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

# ../shared beside the checkout, unless $TORCHSTART_SHARED points elsewhere.
SHARED = Path(os.environ.get("TORCHSTART_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")


def shared_data(*parts: str) -> Path:
    """A path under the shared data folder. Missing: a loud failure under CI=true, a skip elsewhere."""
    path = SHARED.joinpath("data", *parts)
    if not path.exists():
        message = f"real data {path} is missing (tests read ../shared/data beside the checkout)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " — CI must have it")
        pytest.skip(message)
    return path


# Chapters whose lesson trains a model: 10 s (16) to 4 min (21) on 2 cores; every other lesson runs in seconds.
SLOW_CHAPTERS = frozenset({15, 16, 18, 19, 20, 21})


def pytest_collection_modifyitems(config, items):
    """Mark `slow` every test that runs a lesson that trains (a chapter's own tests, and its case of a test over
    all chapters), so `pytest -m "not slow"`, the contributors' fast lane, leaves them to the full run."""
    for item in items:
        number = item.path.name[5:7] if item.path.name[5:7].isdigit() else None  # tests/course/test_21_speedrun.py
        params = getattr(item, "callspec", None)
        if number is None and params is not None and "lesson_run" in item.fixturenames:
            number = params.params.get("number")
        if number is not None and int(number) in SLOW_CHAPTERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def isolated_data_env(tmp_path_factory, monkeypatch):
    """No test may find the learner's own data, cache or settings: point them at empty temp folders."""
    monkeypatch.setenv("TORCHSTART_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("TORCHSTART_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("TORCHSTART_DATA", raising=False)


@pytest.fixture(autouse=True)
def english_unless_asked(monkeypatch):
    """Tests read English whatever the machine's locale; a test that wants Chinese says so (--lang zh, using)."""
    from torchstart import i18n

    monkeypatch.setenv(i18n.ENV_VAR, "en")
    yield
    i18n.set_language(None)  # `main(["--lang", "zh", …])` in a test must not leak into the next one


def fake_cifar(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n random uint8 images (N, 32, 32, 3) and labels cycling through 0..9."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), np.arange(n, dtype=np.int64) % 10


def write_npz_dir(folder: Path, n_train: int = 100, n_test: int = 50) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, n, seed in (("train", n_train, 1), ("test", n_test, 2)):
        images, labels = fake_cifar(n, seed)
        np.savez(folder / f"{name}.npz", images=images, labels=labels)
    return folder


def write_torchvision_dir(root: Path, per_batch: int = 20) -> tuple[Path, np.ndarray, np.ndarray]:
    """root/cifar-10-batches-py in the official format (pickled dicts, CHW rows). Returns train arrays."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    all_images, all_labels = [], []
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        images, labels = fake_cifar(per_batch, seed=10 + i)
        rows = images.transpose(0, 3, 1, 2).reshape(per_batch, 3072)  # official: R plane, G plane, B plane
        with open(folder / name, "wb") as f:
            pickle.dump({"batch_label": name, "labels": labels.tolist(), "data": rows}, f, protocol=2)
        if name != "test_batch":
            all_images.append(images)
            all_labels.append(labels)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                                     "ship", "truck"], "num_cases_per_batch": per_batch}, f, protocol=2)
    return folder, np.concatenate(all_images), np.concatenate(all_labels)


@pytest.fixture
def npz_dir(tmp_path) -> Path:
    return write_npz_dir(tmp_path / "cifar_npz")


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """One short fast-recipe run on the embedded sample (shared by the inference tests)."""
    from torchstart.cli import main

    out = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as mp:  # session scope runs before the autouse isolation
        mp.setenv("TORCHSTART_CACHE", str(tmp_path_factory.mktemp("cache")))
        mp.delenv("TORCHSTART_DATA", raising=False)
        assert main(["train", "--epochs", "1", "--max-train-images", "512", "--out", str(out), "--quiet"]) == 0
    return out


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@pytest.fixture(scope="session")
def course_checkpoint(tmp_path_factory) -> Path:
    """best.pt of an untrained, seeded course model with CIFAR-10's classes and normalisation (no training run)."""
    from torchstart.data import CIFAR10_MEAN, CIFAR10_STD
    from torchstart.device import seed_everything
    from torchstart.models import Tudui
    from torchstart.training.checkpoint import make_checkpoint, save_checkpoint

    seed_everything(3)
    path = tmp_path_factory.mktemp("course-checkpoint") / "best.pt"
    save_checkpoint(make_checkpoint(Tudui(), model_name="tudui", classes=CIFAR10_CLASSES, mean=CIFAR10_MEAN,
                                    std=CIFAR10_STD, epoch=7, test_accuracy=0.61), path)
    return path


@pytest.fixture(scope="session")
def lesson_run(tmp_path_factory):
    """lesson_run(9) → chapter 9's lesson.py executed once per test session (course/execute.run_cells).

    Each chapter's tests, the smoke test over all chapters and the --json test share these runs, so every
    lesson runs once in CI. The script runs in its own temp folder (what it writes lands there), offline, with
    an empty cache. `.namespace` holds the script's variables; `.cells` what each cell printed.
    lesson_run(9, "zh") runs the Chinese view (the same code; comments and prose in Chinese).
    """
    from torchstart.course import find_chapter
    from torchstart.course.execute import run_cells

    runs = {}

    def get(key, lang: str = "en"):
        chapter = find_chapter(key)
        if (chapter.number, lang) not in runs:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("TORCHSTART_CACHE", str(tmp_path_factory.mktemp("cache")))
                mp.delenv("TORCHSTART_DATA", raising=False)
                mp.setenv("TORCHSTART_LANG", lang)
                runs[chapter.number, lang] = run_cells(chapter, lang, tmp_path_factory.mktemp(chapter.slug))
        return runs[chapter.number, lang]

    return get


def require_docs_extra() -> None:
    """Skip without the [docs] extra (the course site); under CI=true fail (CI installs .[dev], which holds it)."""
    from torchstart.errors import ConfigError
    from torchstart.tools.site.build import require_engine

    try:
        require_engine()
    except ConfigError as err:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{err} — CI must have it")
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def course_site(tmp_path_factory) -> tuple[Path, Path]:
    """(a torchstart cache holding the course site, the site's folder), built once per test session (~5 s) and shared
    by tests/tools/test_site*.py: `TORCHSTART_CACHE=<cache>` finds it."""
    from torchstart.tools.site.build import cached_site

    require_docs_extra()
    cache = tmp_path_factory.mktemp("site-cache")
    site = cached_site(cache / "site")
    assert site.built
    return cache, site.folder
