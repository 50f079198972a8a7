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

from .config import DEVICE_CHOICES, PRECISION_CHOICES
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


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for `precision` on `device`; None means plain float32.

    auto: bfloat16 on CUDA GPUs that support it (Ampere and newer; no loss scaling needed),
    float16 on older CUDA GPUs (with a GradScaler), bfloat16 on XPU, bfloat16 on CPUs that multiply
    it natively and measure it faster (see `cpu_bf16_pays`: with AMX a training step of the course model
    runs ≈ 1.5× faster, same accuracy), float32 on other CPUs (bf16 emulated in AVX-512 or AVX2 is slower
    than fp32) and on MPS (autocast gains little at the batch sizes a laptop fits).
    """
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if precision != "auto":
        raise DeviceError(_("unknown precision {precision!r}").format(precision=precision),
                          _("use one of {choices}").format(choices=", ".join(PRECISION_CHOICES)))
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "xpu":
        return torch.bfloat16
    if device.type == "cpu" and cpu_bf16_pays()[0]:
        return torch.bfloat16
    return None


NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # x86 instructions that multiply bf16 in hardware


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux reports them (/proc/cpuinfo); empty where it cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def cpu_bf16() -> tuple[bool, str]:
    """(whether bf16 autocast is the fast choice on this CPU, why) — the one place that decides it.

    It is when the CPU multiplies bf16 in hardware (AVX512-BF16 or AMX) and oneDNN, torch's CPU
    kernel library, has bf16 kernels for it. Elsewhere bf16 is emulated and slower than fp32.
    """
    native = sorted(flag.upper() for flag in NATIVE_BF16_FLAGS if flag in cpu_flags())
    if not native:
        return False, _("this CPU has no native bf16 (AVX512-BF16 or AMX)")
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return False, _("oneDNN in this torch has no bf16 kernels for this CPU ({flags})").format(
            flags=", ".join(native))
    return True, _("this CPU has {flags}").format(flags=_(" and ").join(native))


BF16_MIN_SPEEDUP = 1.1  # auto picks bf16 on a CPU only when a step is at least this much faster than in fp32


def cpu_bf16_pays() -> tuple[bool, str]:
    """(whether precision auto picks bf16 on this CPU, why): native bf16 (`cpu_bf16`) that is also measured faster.

    Native bf16 is necessary, not sufficient: on a 2-core Xeon with AVX512-BF16 whose AMX the hypervisor hides, a
    bf16 step of the course model ran 0.69× as fast as fp32 (the casts cost more than the dot products save),
    while AMX runs bf16 matmuls 7× fp32. The flags cannot tell these apart; one measurement can (`bf16_speedup`).
    """
    native, reason = cpu_bf16()
    if not native:
        return False, reason
    speedup = bf16_speedup()
    if speedup < BF16_MIN_SPEEDUP:
        return False, _("{reason}, but a bf16 step measured {ratio:.2f}× the speed of fp32 here").format(
            reason=reason, ratio=speedup)
    return True, _("{reason}; a bf16 step measured {ratio:.2f}× the speed of fp32").format(reason=reason,
                                                                                          ratio=speedup)


@functools.cache
def bf16_speedup() -> float:
    """fp32 time / bf16-autocast time of a training step of a course-sized conv net on this CPU (once a process).

    Batch 64 of 32×32 images in channels_last, as the recipes train; the best of 3 interleaved rounds of each, so
    a passing load slows both alike. ~0.3 s. The random numbers it draws come from a forked generator: a seeded
    run draws the same numbers with and without this measurement.
    """
    import time

    from torch import nn

    with torch.random.fork_rng(devices=[]):
        net = nn.Sequential(nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2),
                            nn.MaxPool2d(2), nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(1024, 64), nn.Linear(64, 10)).to(memory_format=torch.channels_last)
        x = torch.randn(64, 3, 32, 32).to(memory_format=torch.channels_last)

        def seconds(dtype: torch.dtype | None) -> float:
            start = time.perf_counter()
            with autocast(torch.device("cpu"), dtype):
                loss = net(x).float().logsumexp(dim=1).mean()  # (64, 10) → a scalar, as a loss would be
            loss.backward()
            return time.perf_counter() - start

        for dtype in (None, torch.bfloat16):  # warm-up: oneDNN picks and caches its kernels
            seconds(dtype), seconds(dtype)
        rounds = [(seconds(None), seconds(torch.bfloat16)) for _round in range(3)]
    return min(fp32 for fp32, _bf16 in rounds) / min(bf16 for _fp32, bf16 in rounds)


def precision_line(precision: str, device: torch.device) -> str:
    """'bf16 (auto: this CPU has AVX512_BF16)': the precision a run uses, and why when it chose itself."""
    name = precision_name(resolve_precision(precision, device))
    if precision != "auto":  # not text
        return name
    if device.type == "cpu":  # not text
        return _("{precision} (auto: {reason})").format(precision=name, reason=cpu_bf16_pays()[1])
    return _("{precision} (auto)").format(precision=name)


def precision_name(dtype: torch.dtype | None) -> str:
    """'fp32', 'bf16' or 'fp16' for an autocast dtype (None = no autocast)."""
    return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]


def autocast(device: torch.device, dtype: torch.dtype | None):
    """A context manager running matmuls/convs in `dtype` (no-op when dtype is None)."""
    return torch.autocast(device_type=device.type, dtype=dtype, enabled=dtype is not None)
