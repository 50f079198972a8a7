"""Pick the device to train on, check that it computes, seed every random generator, and describe what is here.

`pick_device("auto")` is the course's device logic (chapter 二十) brought up to date: it
asks `torch.accelerator` (PyTorch ≥ 2.6 knows CUDA, ROCm, MPS and XPU through it) and
falls back to checking CUDA → MPS → CPU by hand on older builds.

`backends()` and `check_device()` are the one answer to "is this accelerator usable": built into this
torch, visible now, and computing the right numbers. Training, lesson 1 and `torchstart doctor` all ask here.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import random
from dataclasses import dataclass

import numpy as np
import torch

from .config import DEVICE_CHOICES
from .errors import DeviceError
from .i18n import _, ngettext


@dataclass(frozen=True)
class Backend:
    name: str  # "cuda" | "mps" | "xpu"
    built: bool  # this torch binary was compiled with support for it
    available: bool  # and a device of this kind can be used right now


def backends() -> list[Backend]:
    """Built-in and usable-now, for each accelerator kind torch knows."""
    mps = getattr(torch.backends, "mps", None)
    return [
        Backend("cuda", torch.backends.cuda.is_built(), torch.cuda.is_available()),
        Backend("mps", mps is not None and mps.is_built(), mps is not None and mps.is_available()),
        Backend("xpu", getattr(torch.version, "xpu", None) is not None,
                hasattr(torch, "xpu") and torch.xpu.is_available()),
    ]


def _kind_available(kind: str) -> bool:
    return kind == "cpu" or any(b.name == kind and b.available for b in backends())


def usable_accelerator() -> str | None:
    """The accelerator torch.accelerator reports as usable ("cuda", "mps", …); None when there is none."""
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is None or not accelerator.is_available():
        return None
    return accelerator.current_accelerator().type


def _why_unavailable(name: str, kind: str) -> str:
    """Why `--device name` cannot be used here, one clause after the flag (a DeviceError's cause)."""
    if kind == "cuda":
        if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
            return _("--device {name}: this torch is a CPU-only build, it cannot use a GPU").format(name=name)
        return _("--device {name}: no NVIDIA GPU or driver is visible (this torch is built for CUDA "
                 "{version})").format(name=name, version=torch.version.cuda)
    if kind == "mps":
        if platform.system() != "Darwin":
            return _("--device {name}: MPS exists only on Apple-silicon Macs").format(name=name)
        return _("--device {name}: MPS is not available here (it needs macOS 12.3 or newer and an Apple "
                 "GPU)").format(name=name)
    return _("--device {name}: no Intel GPU is visible to this torch build").format(name=name)


def auto_device() -> torch.device:
    """The best device here: the current accelerator if any, else CPU."""
    if hasattr(torch, "accelerator"):
        return torch.device(usable_accelerator() or "cpu")
    for kind in ("cuda", "mps", "xpu"):
        if _kind_available(kind):
            return torch.device(kind)
    return torch.device("cpu")


def pick_device(name: str = "auto") -> torch.device:
    """Turn `auto|cpu|cuda|mps|xpu` (optionally with an index, `cuda:1`) into a usable device.

    Raises DeviceError with the reason and the fix when the named device is not here.
    """
    name = name.strip().lower()
    if name == "auto":
        return auto_device()
    kind, _sep, index = name.partition(":")
    if kind not in DEVICE_CHOICES or (index and not index.isdigit()):
        raise DeviceError(_("unknown device {name!r}").format(name=name),
                          _("use one of {choices} (optionally with an index, e.g. cuda:1)").format(
                              choices=", ".join(DEVICE_CHOICES)))
    if not _kind_available(kind):
        raise DeviceError(_why_unavailable(name, kind),
                          _("use --device auto (it picks what is here), or run `torchstart doctor` to see why"))
    if index and kind in ("cuda", "xpu"):
        count = torch.cuda.device_count() if kind == "cuda" else torch.xpu.device_count()
        if int(index) >= count:
            raise DeviceError(ngettext("--device {name}: only {count} {kind} device here",
                                       "--device {name}: only {count} {kind} devices here", count).format(
                                           name=name, count=count, kind=kind),
                              _("use an index below {count}").format(count=count))
    return torch.device(name)


@dataclass(frozen=True)
class DeviceCheck:
    device: str
    expected: list[list[float]]  # (2, 3) @ (3, 2) computed on the CPU
    got: list[list[float]] | None  # the same product computed on `device` and copied back; None if it failed
    ok: bool
    error: str | None  # what the device raised, e.g. "CUDA error: no kernel image is available …"


def check_device(device: torch.device) -> DeviceCheck:
    """Multiply two small matrices on `device` and compare with the CPU.

    The entries are small integers, so the product is exact in float32 (and in TF32 on GPUs): any difference
    means the device computed something wrong, not rounding. A driver or kernel problem shows up here,
    not in `is_available()`.
    """
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    w = torch.arange(6, dtype=torch.float32).reshape(3, 2)
    expected = x @ w  # (2, 2)
    try:
        got = (x.to(device) @ w.to(device)).cpu()
    except RuntimeError as err:
        return DeviceCheck(str(device), expected.tolist(), None, False, f"{type(err).__name__}: {err}")
    return DeviceCheck(str(device), expected.tolist(), got.tolist(), torch.equal(got, expected), None)


def configure_backends(device: torch.device) -> None:
    """Speed settings that do not change what is computed beyond float rounding.

    On CUDA: let cuDNN time its convolution algorithms once per input shape (our shapes never
    change) and allow TF32 tensor cores for float32 matmuls (10-bit mantissa products, float32 sums).
    Elsewhere: full float32 matmuls, even if a GPU run earlier in the same process lowered them.
    """
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.set_float32_matmul_precision("high")
    else:  # the setting is process-wide and also reaches CPU kernels (oneDNN): keep CPU training exact
        torch.set_float32_matmul_precision("highest")


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt() parameters (malloc.h)
KEEP_BYTES = 1 << 30  # freed blocks up to this size stay in the process for the next step


@functools.cache
def keep_freed_memory() -> bool:
    """Stop glibc from handing each step's activation memory back to the OS; True when it took effect.

    glibc malloc serves blocks above its mmap threshold (128 kB to 32 MB, adjusted as it goes) with a fresh
    mmap and unmaps them on free, and trims the heap's free top back to the OS. A training step allocates
    and frees the same large activations every time (16 MB for one conv output of the course model at batch
    128), so the OS maps and zeroes them again and again: measured here, 5.2 million page faults and 5.7 s
    per 20,000 images in fp32 against 0.14 million and 3.6–4.1 s once freed memory stays in the process.
    A large evaluation batch raised glibc's thresholds as a side effect, which is why only the first epoch
    was slow. Raising both thresholds up front makes that the normal case from the first step. Not glibc
    (macOS, Windows, musl): nothing to do.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 2 * KEEP_BYTES))
    except (OSError, AttributeError):
        return False


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every accelerator) so runs repeat."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds CUDA/MPS/XPU generators
    os.environ.setdefault("PYTHONHASHSEED", str(seed))


@dataclass(frozen=True)
class DeviceInfo:
    """What a run records about where it ran."""

    device: str
    name: str
    torch_version: str
    cuda_version: str | None


def describe_device(device: torch.device) -> DeviceInfo:
    """A short, human-readable description of `device` (GPU model or CPU architecture)."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        name = _("Apple GPU (macOS {version})").format(version=platform.mac_ver()[0])
    elif device.type == "xpu":
        name = torch.xpu.get_device_name(device)
    else:
        threads = torch.get_num_threads()
        name = ngettext("{cpu} CPU, {n} thread", "{cpu} CPU, {n} threads", threads).format(
            cpu=platform.processor() or platform.machine(), n=threads)
    return DeviceInfo(str(device), name, torch.__version__, torch.version.cuda)
