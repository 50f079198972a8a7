"""The autocast dtype a run computes in: asked for (fp32, bf16, fp16) or chosen for this device (auto).

On GPUs auto follows what the card supports. On a CPU, native bf16 instructions (AVX512-BF16, AMX) are needed but
not enough: `cpu_bf16_pays` also measures one training step in both dtypes, because the flags cannot tell a CPU
where bf16 runs 1.5× faster from one where it runs 0.69× as fast (see its docstring).
"""

from __future__ import annotations

import functools

import torch

from .config import PRECISION_CHOICES
from .errors import DeviceError
from .i18n import _


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
