"""`torchstart doctor`: check this machine for what the course needs, and say how to fix what is not right.

It answers the questions learners ask most — why `torch.cuda.is_available()` is False, why
`num_workers` crashes, why OpenCV returns None for a file in a Chinese folder, why nothing is
written — by trying each thing for real instead of guessing: a matmul on every device that
is there, a DataLoader with two worker processes, an image written and read under a non-ASCII
path, a probe file in the runs folder.

`diagnose()` returns a `DoctorReport` (a list of `Check`s); every failed check carries its fix, in the
learner's language like every other line (the Chinese is in the message catalog). The CLI prints it and
exits 1 when any check failed. A check's `name` is an identifier (JSON keeps it); the text report
(doctor_report.py) shows it translated.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import platform
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..data.cifar10 import SAMPLE_FILE, detect_layout, search_dirs
from ..data.hymenoptera import hymenoptera_sample_root
from ..data.scan import image_files
from ..device import backends, check_device
from ..errors import ConfigError
from ..files import writable_dir
from ..i18n import N_, _
from .doctor_report import Check, DoctorReport, format_report, problem

# (label, module) of every package the course uses; `__version__` of each is reported.
PACKAGES = (("torch", "torch"), ("torchvision", "torchvision"), ("tensorboard", "tensorboard"),
            ("opencv", "cv2"), ("numpy", "numpy"))
WORKER_TIMEOUT_S = 60  # longest wait for one batch from the worker processes before calling them stuck
NON_ASCII_DIR = "数据集_图片"  # a folder name like the ones learners use
WEIGHT_SUFFIXES = (".pth", ".pt")
INSTALL_FIX = N_('reinstall from the checkout: pip install -e ".[dev]"')


def check_versions() -> Check:
    found, broken = [f"Python {platform.python_version()}"], []
    for label, module in PACKAGES:
        try:
            found.append(f"{label} {importlib.import_module(module).__version__}")
        except Exception as err:  # missing, or a torchvision built for another torch fails at import
            broken.append(f"{label} ({type(err).__name__}: {err})")
    detail = ", ".join(found)
    if torch.version.cuda:
        detail = _("{versions} (built for CUDA {version})").format(versions=detail, version=torch.version.cuda)
    if broken:
        return problem("versions", _("{found}; cannot import {broken}").format(found=detail, broken=", ".join(
            broken)), _("{install}; torchvision must come from the same index as torch, in the matching version")
            .format(install=_(INSTALL_FIX)))
    return Check("versions", True, detail)


def nvidia_gpu_present() -> bool:
    """An NVIDIA driver is installed here (the GPU exists even if this torch cannot use it)."""
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia/gpus").is_dir()


def _unavailable(kind: str, built: bool) -> Check | None:
    """The problem when `kind` is not usable although this machine has that hardware; None when it has none."""
    if kind == "cuda" and nvidia_gpu_present():
        if not built:
            return problem("cuda", _("an NVIDIA GPU is here, but this torch is a CPU-only build"),
                            _("uninstall torch and install a CUDA build with the command from "
                              "https://pytorch.org/get-started/locally/ (pip or conda)"))
        hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
        why = _("CUDA_VISIBLE_DEVICES={value!r} hides it").format(value=hidden) if hidden in ("", "-1") else \
            _("the driver may be too old")
        return problem("cuda", _("torch is built for CUDA {version} and an NVIDIA GPU is here, but "
                                  "torch.cuda.is_available() is False ({why})").format(version=torch.version.cuda,
                                                                                       why=why),
                        _("run nvidia-smi: its 'CUDA Version' must be at least torch's; update the driver or install "
                          "a torch built for an older CUDA; make sure CUDA_VISIBLE_DEVICES does not hide the GPU"))
    if kind == "mps" and platform.system() == "Darwin" and platform.machine() == "arm64":
        return problem("mps", _("this is an Apple-silicon Mac but MPS is not available"),
                        _("MPS needs macOS 12.3+ and an arm64 Python (not an x86 one under Rosetta); then reinstall "
                          "torch"))
    return None


def check_devices() -> list[Check]:
    """Built / available / a real matmul compared with the CPU, for cuda, mps, xpu and cpu."""
    checks = []
    for backend in [*backends(), None]:
        kind, built, available = ("cpu", True, True) if backend is None else (
            backend.name, backend.built, backend.available)
        state = _("built {built}, available {available}").format(built=_("yes") if built else _("no"),
                                                                 available=_("yes") if available else _("no"))
        if not available:
            checks.append(_unavailable(kind, built) or Check(kind, True, _("{state} (no {kind} hardware here)").format(
                state=state, kind=kind)))
            continue
        result = check_device(torch.device(kind))
        if result.ok:
            checks.append(Check(kind, True, _("{state}, a matmul on it equals the CPU result").format(state=state)))
            continue
        what = result.error or _("got {got}, the CPU says {expected}").format(got=result.got, expected=result.expected)
        checks.append(problem(kind, _("{state}, but a matmul on it fails: {what}").format(state=state, what=what),
                               _("the device is visible but cannot compute: update the GPU driver or install a torch "
                                 "build that matches it; meanwhile train with --device cpu")))
    return checks


def check_accelerator_api() -> Check:
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is None:
        return problem("torch.accelerator", _("missing: torch {version} is older than 2.6").format(
            version=torch.__version__), _("upgrade torch to 2.6 or newer: pip install -U torch torchvision"))
    current = accelerator.current_accelerator() if accelerator.is_available() else None
    return Check("torch.accelerator", True, _("present; current accelerator: {name}").format(
        name=current.type if current else _("none")))


class _IndexDataset(Dataset):
    """Item i = (tensor([i]), the pid that produced it). At module level so spawned workers can unpickle it."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int):
        return torch.tensor([float(index)]), os.getpid()


def check_dataloader_workers(num_workers: int = 2) -> Check:
    """Load 8 items with `num_workers` worker processes, as `DataLoader(..., num_workers=2)` in the course does."""
    method = multiprocessing.get_start_method()
    fix = _("Windows and macOS start workers with spawn: put the training code under if __name__ == '__main__':, "
            "define the Dataset at the top level of a .py file (workers cannot find a class defined in Jupyter); "
            "in Docker raise shared memory with --shm-size=2g; or use num_workers=0")
    loader = DataLoader(_IndexDataset(), batch_size=2, num_workers=num_workers, timeout=WORKER_TIMEOUT_S)
    try:
        batches = list(loader)
    except Exception as err:  # a dead worker, a pickling error, no shared memory, a timeout: all the same fix
        return problem("dataloader workers", _("DataLoader with num_workers={workers} (start method {method}) "
                                                "failed: {error}").format(workers=num_workers, method=method,
                                                                          error=f"{type(err).__name__}: {err}"), fix)
    values = torch.cat([x for x, _pid in batches]).flatten().tolist()
    pids = {int(p) for _x, batch_pids in batches for p in batch_pids}
    if values != [float(i) for i in range(8)] or os.getpid() in pids:
        return problem("dataloader workers", _("the workers returned {values} from processes {pids}").format(
            values=values, pids=sorted(pids)), fix)
    return Check("dataloader workers", True, _("num_workers={workers} works with start method {method} ({count} "
                                               "worker processes)").format(workers=num_workers, method=method,
                                                                           count=len(pids)))


def check_opencv_unicode_path() -> Check:
    """Write a small image into a folder with a Chinese name and read it back with OpenCV."""
    try:
        import cv2
    except Exception as err:
        return problem("opencv non-ASCII path", _("cannot import cv2 ({reason})").format(reason=err),
                        "pip install opencv-python-headless")
    image = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)  # (H, W, C) BGR, every value different
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = Path(tmp) / NON_ASCII_DIR / "蚂蚁.png"
            path.parent.mkdir()
            cv2.imencode(".png", image)[1].tofile(str(path))
        except (UnicodeError, OSError) as err:
            return problem("opencv non-ASCII path", _("cannot create a file named {name} ({reason})").format(
                name=f"{NON_ASCII_DIR}/蚂蚁.png", reason=err),
                _("use a UTF-8 locale (Linux: export LANG=C.UTF-8; Windows: set PYTHONUTF8=1)"))
        back = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_COLOR)
        plain = cv2.imread(str(path))
    if back is None or not np.array_equal(back, image):
        return problem("opencv non-ASCII path", _("cv2.imdecode(np.fromfile(...)) could not read {name} back").format(
            name=path.name), _("move the images to a path with ASCII letters and digits only, or reinstall "
                               "opencv-python-headless"))
    note = (_("plain cv2.imread works here too") if plain is not None else
            _("plain cv2.imread returns None here (as on Windows): read with cv2.imdecode(np.fromfile(path, "
              "np.uint8))"))
    return Check("opencv non-ASCII path", True, _("cv2.imdecode(np.fromfile(...)) reads {name}; {note}").format(
        name=f"{NON_ASCII_DIR}/蚂蚁.png", note=note))


def check_runs_dir(runs_dir: Path) -> Check:
    """Write a probe file into `runs_dir`, or into its nearest existing parent when it does not exist yet."""
    target = Path(runs_dir).expanduser().absolute()
    while not target.exists() and target.parent != target:
        target = target.parent
    try:
        writable_dir(target, "--runs-dir")
    except ConfigError as err:
        return problem("runs dir", f"{runs_dir}: {err.cause}",
                        _("run from a folder you can write to (cd into your project), or pick a writable folder: "
                          "torchstart doctor --runs-dir DIR checks it, torchstart train --out DIR/<run> trains there"))
    if target == Path(runs_dir).expanduser().absolute():
        return Check("runs dir", True, _("{path} is writable").format(path=runs_dir))
    return Check("runs dir", True, _("{path} does not exist yet; {parent} is writable, so the first run can create "
                                     "it").format(path=runs_dir, parent=target))


def _find_cifar10(data_dir: Path | None) -> tuple[str, Path] | None:
    """(layout, folder) of full CIFAR-10 in `data_dir` (or its cifar10/), else in the folders `train` searches."""
    folders = [data_dir, data_dir / "cifar10"] if data_dir else search_dirs()
    return next((hit for folder in folders if folder.is_dir() and (hit := detect_layout(folder))), None)


def _find_hymenoptera(data_dir: Path | None) -> Path | None:
    """The full ants/bees set in `data_dir` or $TORCHSTART_DATA, either the folder itself or its hymenoptera_data/."""
    roots = [data_dir] if data_dir else []
    if os.environ.get("TORCHSTART_DATA"):
        roots.append(Path(os.environ["TORCHSTART_DATA"]).expanduser())
    folders = [folder for root in roots for folder in (root, root / "hymenoptera_data")]
    return next((folder for folder in folders if (folder / "train" / "ants").is_dir()), None)


def _embedded_samples() -> Check:
    sample = hymenoptera_sample_root()
    cifar_sample = sample.parent / SAMPLE_FILE
    try:
        counts = {f"{split}/{label}": len(image_files(sample / split / label))
                  for split in ("train", "val") for label in ("ants", "bees")}
    except Exception as err:
        counts = {"error": str(err)}
    if not cifar_sample.is_file() or not all(isinstance(n, int) and n > 0 for n in counts.values()):
        return problem("embedded samples", _("the package's samples are incomplete ({file}, {counts})").format(
            file=cifar_sample, counts=counts), _(INSTALL_FIX))
    return Check("embedded samples", True, _("CIFAR-10 sample (2,000 train / 500 test) and ants/bees sample "
                                             "({counts})").format(counts=", ".join(f"{k} {n}" for k, n in
                                                                                   counts.items())))


def check_data(data_dir: Path | None = None) -> list[Check]:
    """Where full CIFAR-10 and ants/bees come from, and whether the embedded samples are intact.

    `data_dir` is a data folder like $TORCHSTART_DATA: CIFAR-10 itself or in cifar10/, ants/bees itself or in
    hymenoptera_data/. Only a `data_dir` holding neither is a problem; without one, finding nothing is normal.
    """
    data_dir = Path(data_dir).expanduser() if data_dir else None
    cifar, ants = _find_cifar10(data_dir), _find_hymenoptera(data_dir)
    if cifar:
        cifar_check = Check("cifar10", True, _("full CIFAR-10 at {path} ({layout} layout)").format(
            path=cifar[1], layout=cifar[0]))
    elif data_dir and not ants:
        cifar_check = problem("cifar10", _("--data-dir {path} holds neither CIFAR-10 nor ants/bees").format(
            path=data_dir), _("pass the folder that holds cifar-10-batches-py/, train.npz + test.npz or "
                              "hymenoptera_data/"))
    else:
        where = data_dir or ", ".join(str(f) for f in search_dirs())
        cifar_check = Check("cifar10", True, _("no full CIFAR-10 in {where}: runs use the embedded sample (get the "
                                               "full set: torchstart train --download, or --data-dir DIR)").format(
            where=where))
    ants_check = Check("ants/bees", True, _("full set at {path}").format(path=ants) if ants else
                       _("full set not found (pass --data-dir, or set $TORCHSTART_DATA to the folder holding "
                         "hymenoptera_data/); lessons use the embedded sample"))
    return [cifar_check, _embedded_samples(), ants_check]


def check_pretrained_weights() -> Check:
    folder = Path(torch.hub.get_dir()) / "checkpoints"
    names = sorted(p.name for p in folder.glob("*") if p.suffix in WEIGHT_SUFFIXES) if folder.is_dir() else []
    if names:
        return Check("pretrained weights", True, _("{count} in {folder}: {names}").format(
            count=len(names), folder=folder, names=", ".join(names)))
    return Check("pretrained weights", True, _("none in {folder} (the first weights=... download needs internet; "
                                               "offline, copy the .pth file there)").format(folder=folder))


def diagnose(runs_dir: Path = Path("runs"), data_dir: Path | None = None) -> DoctorReport:
    """Run every check; nothing is written except probe files that are removed again."""
    return DoctorReport([check_versions(), *check_devices(), check_accelerator_api(), check_dataloader_workers(),
                         check_opencv_unicode_path(), check_runs_dir(runs_dir), *check_data(data_dir),
                         check_pretrained_weights()])


__all__ = ["Check", "DoctorReport", "check_accelerator_api", "check_data", "check_dataloader_workers", "check_devices",
           "check_opencv_unicode_path", "check_pretrained_weights", "check_runs_dir", "check_versions", "diagnose",
           "format_report"]
