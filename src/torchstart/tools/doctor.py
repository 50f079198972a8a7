"""`torchstart doctor`: check this machine for what the course needs, and say how to fix what is not right.

It answers the questions learners ask most — why `torch.cuda.is_available()` is False, why
`num_workers` crashes, why OpenCV returns None for a file in a Chinese folder, why nothing is
written — by trying each thing for real instead of guessing: a matmul on every device that
is there, a DataLoader with two worker processes, an image written and read under a non-ASCII
path, a probe file in the runs folder.

`diagnose()` returns a `DoctorReport` (a list of `Check`s); every failed check carries its fix
in Chinese and English. The CLI prints it and exits 1 when any check failed.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import platform
import shutil
import tempfile
from dataclasses import asdict, dataclass
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

# (label, module) of every package the course uses; `__version__` of each is reported.
PACKAGES = (("torch", "torch"), ("torchvision", "torchvision"), ("tensorboard", "tensorboard"),
            ("opencv", "cv2"), ("numpy", "numpy"))
WORKER_TIMEOUT_S = 60  # longest wait for one batch from the worker processes before calling them stuck
NON_ASCII_DIR = "数据集_图片"  # a folder name like the ones learners use
WEIGHT_SUFFIXES = (".pth", ".pt")
INSTALL_FIX = ('在仓库目录里重新安装：pip install -e ".[dev]"', 'reinstall from the checkout: pip install -e ".[dev]"')


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found, one line
    fix_zh: str = ""  # empty when ok
    fix_en: str = ""


@dataclass
class DoctorReport:
    checks: list[Check]

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"healthy": self.healthy, "problems": len(self.problems), "checks": [asdict(c) for c in self.checks]}


def _problem(name: str, detail: str, fix: tuple[str, str]) -> Check:
    return Check(name, False, detail, fix_zh=fix[0], fix_en=fix[1])


def check_versions() -> Check:
    found, broken = [f"Python {platform.python_version()}"], []
    for label, module in PACKAGES:
        try:
            found.append(f"{label} {importlib.import_module(module).__version__}")
        except Exception as err:  # missing, or a torchvision built for another torch fails at import
            broken.append(f"{label} ({type(err).__name__}: {err})")
    cuda = f" (built for CUDA {torch.version.cuda})" if torch.version.cuda else ""
    detail = ", ".join(found) + cuda
    if broken:
        return _problem("versions", f"{detail}; cannot import {', '.join(broken)}", (
            f"{INSTALL_FIX[0]}；torchvision 必须和 torch 来自同一个安装源、版本配套",
            f"{INSTALL_FIX[1]}; torchvision must come from the same index as torch, in the matching version"))
    return Check("versions", True, detail)


def nvidia_gpu_present() -> bool:
    """An NVIDIA driver is installed here (the GPU exists even if this torch cannot use it)."""
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia/gpus").is_dir()


def _unavailable(kind: str, built: bool) -> Check | None:
    """The problem when `kind` is not usable although this machine has that hardware; None when it has none."""
    if kind == "cuda" and nvidia_gpu_present():
        if not built:
            return _problem("cuda", "an NVIDIA GPU is here, but this torch is a CPU-only build", (
                "卸载 torch 后按 https://pytorch.org/get-started/locally/ 选择 CUDA 版本重新安装（pip 或 conda）",
                "uninstall torch and install a CUDA build with the command from "
                "https://pytorch.org/get-started/locally/ (pip or conda)"))
        hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
        why = f"CUDA_VISIBLE_DEVICES={hidden!r} hides it" if hidden in ("", "-1") else "the driver may be too old"
        return _problem("cuda", f"torch is built for CUDA {torch.version.cuda} and an NVIDIA GPU is here, but "
                                f"torch.cuda.is_available() is False ({why})", (
            "运行 nvidia-smi：右上角的 CUDA Version 要不低于 torch 的 CUDA 版本，"
            "否则更新显卡驱动或安装更低 CUDA 版本的 torch；检查 CUDA_VISIBLE_DEVICES 没有把显卡隐藏",
            "run nvidia-smi: its 'CUDA Version' must be at least torch's; update the driver or install a torch built "
            "for an older CUDA; make sure CUDA_VISIBLE_DEVICES does not hide the GPU"))
    if kind == "mps" and platform.system() == "Darwin" and platform.machine() == "arm64":
        return _problem("mps", "this is an Apple-silicon Mac but MPS is not available", (
            "需要 macOS 12.3 以上和 arm64 版的 Python（不要用 Rosetta 下的 x86 Python）；然后重新安装 torch",
            "MPS needs macOS 12.3+ and an arm64 Python (not an x86 one under Rosetta); then reinstall torch"))
    return None


def check_devices() -> list[Check]:
    """Built / available / a real matmul compared with the CPU, for cuda, mps, xpu and cpu."""
    checks = []
    for backend in [*backends(), None]:
        kind, built, available = ("cpu", True, True) if backend is None else (
            backend.name, backend.built, backend.available)
        state = f"built {'yes' if built else 'no'}, available {'yes' if available else 'no'}"
        if not available:
            checks.append(_unavailable(kind, built) or Check(kind, True, f"{state} (no {kind} hardware here)"))
            continue
        result = check_device(torch.device(kind))
        if result.ok:
            checks.append(Check(kind, True, f"{state}, a matmul on it equals the CPU result"))
            continue
        what = result.error or f"got {result.got}, the CPU says {result.expected}"
        checks.append(_problem(kind, f"{state}, but a matmul on it fails: {what}", (
            "设备能看到却算不对：更新显卡驱动，或安装和驱动配套的 torch 版本；在 CPU 上可先用 --device cpu",
            "the device is visible but cannot compute: update the GPU driver or install a torch build that "
            "matches it; meanwhile train with --device cpu")))
    return checks


def check_accelerator_api() -> Check:
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is None:
        return _problem("torch.accelerator", f"missing: torch {torch.__version__} is older than 2.6", (
            "升级 torch 到 2.6 或更新版本：pip install -U torch torchvision",
            "upgrade torch to 2.6 or newer: pip install -U torch torchvision"))
    current = accelerator.current_accelerator() if accelerator.is_available() else None
    return Check("torch.accelerator", True, f"present; current accelerator: {current.type if current else 'none'}")


class _IndexDataset(Dataset):
    """Item i = (tensor([i]), the pid that produced it). At module level so spawned workers can unpickle it."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int):
        return torch.tensor([float(index)]), os.getpid()


def check_dataloader_workers(num_workers: int = 2) -> Check:
    """Load 8 items with `num_workers` worker processes, as `DataLoader(..., num_workers=2)` in the course does."""
    method = multiprocessing.get_start_method()
    fix = ("Windows 和 macOS 用 spawn 启动子进程：训练代码要放在 if __name__ == '__main__': 里，"
           "Dataset 类要定义在 .py 文件的顶层（Jupyter 里定义的类子进程找不到）；"
           "Docker 里用 --shm-size=2g 加大共享内存；实在不行就用 num_workers=0",
           "Windows and macOS start workers with spawn: put the training code under if __name__ == '__main__':, "
           "define the Dataset at the top level of a .py file (workers cannot find a class defined in Jupyter); "
           "in Docker raise shared memory with --shm-size=2g; or use num_workers=0")
    loader = DataLoader(_IndexDataset(), batch_size=2, num_workers=num_workers, timeout=WORKER_TIMEOUT_S)
    try:
        batches = list(loader)
    except Exception as err:  # a dead worker, a pickling error, no shared memory, a timeout: all the same fix
        return _problem("dataloader workers", f"DataLoader with num_workers={num_workers} (start method {method}) "
                                              f"failed: {type(err).__name__}: {err}", fix)
    values = torch.cat([x for x, _ in batches]).flatten().tolist()
    pids = {int(p) for _, batch_pids in batches for p in batch_pids}
    if values != [float(i) for i in range(8)] or os.getpid() in pids:
        return _problem("dataloader workers", f"the workers returned {values} from processes {sorted(pids)}", fix)
    return Check("dataloader workers", True,
                 f"num_workers={num_workers} works with start method {method} ({len(pids)} worker processes)")


def check_opencv_unicode_path() -> Check:
    """Write a small image into a folder with a Chinese name and read it back with OpenCV."""
    try:
        import cv2
    except Exception as err:
        return _problem("opencv non-ASCII path", f"cannot import cv2 ({err})", (
            "pip install opencv-python-headless", "pip install opencv-python-headless"))
    image = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)  # (H, W, C) BGR, every value different
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = Path(tmp) / NON_ASCII_DIR / "蚂蚁.png"
            path.parent.mkdir()
            cv2.imencode(".png", image)[1].tofile(str(path))
        except (UnicodeError, OSError) as err:
            return _problem("opencv non-ASCII path", f"cannot create a file named {NON_ASCII_DIR}/蚂蚁.png ({err})", (
                "把系统区域设置为 UTF-8（Linux：export LANG=C.UTF-8；Windows：设置 PYTHONUTF8=1）",
                "use a UTF-8 locale (Linux: export LANG=C.UTF-8; Windows: set PYTHONUTF8=1)"))
        back = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_COLOR)
        plain = cv2.imread(str(path))
    if back is None or not np.array_equal(back, image):
        return _problem("opencv non-ASCII path", f"cv2.imdecode(np.fromfile(...)) could not read {path.name} back", (
            "把图片放到只含英文字母和数字的路径下，或重新安装 opencv-python-headless",
            "move the images to a path with ASCII letters and digits only, or reinstall opencv-python-headless"))
    note = ("plain cv2.imread works here too" if plain is not None else
            "plain cv2.imread returns None here (as on Windows): read with cv2.imdecode(np.fromfile(path, np.uint8))")
    return Check("opencv non-ASCII path", True,
                 f"cv2.imdecode(np.fromfile(...)) reads {NON_ASCII_DIR}/蚂蚁.png; {note}")


def check_runs_dir(runs_dir: Path) -> Check:
    """Write a probe file into `runs_dir`, or into its nearest existing parent when it does not exist yet."""
    target = Path(runs_dir).expanduser().absolute()
    while not target.exists() and target.parent != target:
        target = target.parent
    try:
        writable_dir(target)
    except ConfigError as err:
        return _problem("runs dir", f"{runs_dir}: {err.cause}", (
            "在自己有写权限的目录里运行（cd 到你的项目目录），或用 --out 指定一个可写的文件夹",
            "run from a folder you can write to (cd into your project), or pass a writable folder with --out"))
    where = "is writable" if target == Path(runs_dir).expanduser().absolute() else \
        f"does not exist yet; {target} is writable, so the first run can create it"
    return Check("runs dir", True, f"{runs_dir} {where}")


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
        return _problem("embedded samples", f"the package's samples are incomplete ({cifar_sample}, {counts})",
                        INSTALL_FIX)
    return Check("embedded samples", True, "CIFAR-10 sample (2,000 train / 500 test) and ants/bees sample "
                                           f"({', '.join(f'{k} {n}' for k, n in counts.items())})")


def check_data(data_dir: Path | None = None) -> list[Check]:
    """Where full CIFAR-10 and ants/bees come from, and whether the embedded samples are intact.

    `data_dir` is a data folder like $TORCHSTART_DATA: CIFAR-10 itself or in cifar10/, ants/bees itself or in
    hymenoptera_data/. Only a `data_dir` holding neither is a problem; without one, finding nothing is normal.
    """
    data_dir = Path(data_dir).expanduser() if data_dir else None
    cifar, ants = _find_cifar10(data_dir), _find_hymenoptera(data_dir)
    if cifar:
        cifar_check = Check("cifar10", True, f"full CIFAR-10 at {cifar[1]} ({cifar[0]} layout)")
    elif data_dir and not ants:
        cifar_check = _problem("cifar10", f"--data-dir {data_dir} holds neither CIFAR-10 nor ants/bees", (
            "传入包含 cifar-10-batches-py/、train.npz + test.npz 或 hymenoptera_data/ 的文件夹",
            "pass the folder that holds cifar-10-batches-py/, train.npz + test.npz or hymenoptera_data/"))
    else:
        where = data_dir or ", ".join(str(f) for f in search_dirs())
        cifar_check = Check("cifar10", True, f"no full CIFAR-10 in {where}: runs use the embedded sample "
                                             "(get the full set: torchstart train --download, or --data-dir DIR)")
    ants_check = Check("ants/bees", True, f"full set at {ants}" if ants else
                       "full set not found (pass --data-dir, or set $TORCHSTART_DATA to the folder holding "
                       "hymenoptera_data/); lessons use the embedded sample")
    return [cifar_check, _embedded_samples(), ants_check]


def check_pretrained_weights() -> Check:
    folder = Path(torch.hub.get_dir()) / "checkpoints"
    names = sorted(p.name for p in folder.glob("*") if p.suffix in WEIGHT_SUFFIXES) if folder.is_dir() else []
    if names:
        return Check("pretrained weights", True, f"{len(names)} in {folder}: {', '.join(names)}")
    return Check("pretrained weights", True, f"none in {folder} (the first weights=... download needs internet; "
                                             "offline, copy the .pth file there)")


def diagnose(runs_dir: Path = Path("runs"), data_dir: Path | None = None) -> DoctorReport:
    """Run every check; nothing is written except probe files that are removed again."""
    return DoctorReport([check_versions(), *check_devices(), check_accelerator_api(), check_dataloader_workers(),
                         check_opencv_unicode_path(), check_runs_dir(runs_dir), *check_data(data_dir),
                         check_pretrained_weights()])


def format_report(report: DoctorReport) -> str:
    """The report as text: one line per check, and each problem's fix in Chinese and English under it."""
    width = max(len(c.name) for c in report.checks)
    lines = []
    for c in report.checks:
        lines.append(f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.detail}")
        if not c.ok:
            lines += [f"      {'':<{width}}  修复: {c.fix_zh}", f"      {'':<{width}}  fix:  {c.fix_en}"]
    n = len(report.problems)
    lines.append("healthy: everything the course needs works here" if report.healthy else
                 f"{n} problem{'s' if n > 1 else ''} found — see the fixes above")
    return "\n".join(lines)
