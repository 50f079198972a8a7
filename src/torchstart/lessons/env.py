"""Lesson 1 — check the environment (课程第二章、第十八至二十章：环境配置与 GPU).

中文：安装好之后先确认三件事：torch 和 torchvision 的版本；这个 torch 编译时带没带 CUDA、MPS、XPU 支持，
现在能不能用；以及 `--device auto` 会选中哪个设备（调用 `torchstart.device.pick_device`，和训练用的是同一套逻辑）。
最后在选中的设备上做一次小矩阵乘法，搬回 CPU 和 CPU 上的结果比对——能算对，环境才算真的可用。

English: after installing, check three things: the torch and torchvision versions; whether this torch was
built with CUDA, MPS and XPU support and whether each is usable now; and which device `--device auto` picks
(through `torchstart.device.pick_device`, the same logic training uses). Then run a small matrix product on
that device, bring it back and compare it with the CPU's answer — only a correct result proves the setup works.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

import torch
import torchvision

from ..device import describe_device, pick_device
from .runner import lesson_main


@dataclass
class Backend:
    name: str  # "cuda" | "mps" | "xpu"
    built: bool  # this torch binary was compiled with support for it
    available: bool  # and a device of this kind can be used right now


@dataclass
class DeviceCheck:
    device: str
    expected: list[list[float]]  # (2, 3) @ (3, 2) computed on the CPU
    got: list[list[float]] | None  # the same product computed on `device` and copied back; None if it failed
    ok: bool
    error: str | None  # what the device raised, e.g. "CUDA error: no kernel image is available …"


@dataclass
class Result:
    python_version: str
    torch_version: str
    torchvision_version: str
    cuda_version: str | None  # the CUDA toolkit this torch was built against (None for CPU and MPS builds)
    backends: list[Backend]
    accelerator_api: bool  # torch.accelerator exists (PyTorch ≥ 2.6): one API for CUDA, ROCm, MPS and XPU
    accelerator: str | None  # the accelerator torch.accelerator reports as usable, None when there is none
    course_device: str  # what the course's one-line device choice (chapter 二十) gives here
    device: str  # what pick_device chose — the same as `--device auto` when device="auto"
    device_name: str  # GPU model or CPU description
    check: DeviceCheck


def backends() -> list[Backend]:
    """Built-in and usable-now, for each accelerator kind torch knows."""
    mps = getattr(torch.backends, "mps", None)
    return [
        Backend("cuda", torch.backends.cuda.is_built(), torch.cuda.is_available()),
        Backend("mps", mps is not None and mps.is_built(), mps is not None and mps.is_available()),
        Backend("xpu", getattr(torch.version, "xpu", None) is not None,
                hasattr(torch, "xpu") and torch.xpu.is_available()),
    ]


def usable_accelerator() -> str | None:
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is None or not accelerator.is_available():
        return None
    return accelerator.current_accelerator().type


def course_device() -> str:
    # The course's expression, kept as written there: it knows CUDA and MPS only, so an Intel GPU (XPU)
    # is missed — pick_device asks torch.accelerator instead, which covers every kind.
    return ("cuda" if torch.cuda.is_available()
            else ("mps" if (torch.backends.mps.is_built() and torch.backends.mps.is_available()) else "cpu"))


def check_device(device: torch.device) -> DeviceCheck:
    """Multiply two small matrices on `device` and compare with the CPU.

    The entries are small integers, so the product is exact in float32 (and in TF32 on GPUs): any difference
    means the device computed something wrong, not rounding.
    """
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    w = torch.arange(6, dtype=torch.float32).reshape(3, 2)
    expected = x @ w  # (2, 2)
    try:
        got = (x.to(device) @ w.to(device)).cpu()
    except RuntimeError as err:  # a driver/kernel problem shows up here, not at is_available()
        return DeviceCheck(str(device), expected.tolist(), None, False, f"{type(err).__name__}: {err}")
    return DeviceCheck(str(device), expected.tolist(), got.tolist(), torch.equal(got, expected), None)


def run(*, device: str = "auto") -> Result:
    chosen = pick_device(device)
    return Result(
        python_version=platform.python_version(),
        torch_version=torch.__version__,
        torchvision_version=torchvision.__version__,
        cuda_version=torch.version.cuda,
        backends=backends(),
        accelerator_api=hasattr(torch, "accelerator"),
        accelerator=usable_accelerator(),
        course_device=course_device(),
        device=str(chosen),
        device_name=describe_device(chosen).name,
        check=check_device(chosen),
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def describe(result: Result) -> str:
    lines = [f"python {result.python_version}, torch {result.torch_version}, "
             f"torchvision {result.torchvision_version}, CUDA build {result.cuda_version or 'none'}"]
    for b in result.backends:
        lines.append(f"    {b.name:<5} built: {_yes(b.built):<4} available: {_yes(b.available)}")
    api = "present" if result.accelerator_api else "missing (PyTorch < 2.6)"
    lines.append(f"torch.accelerator: {api}; usable accelerator: {result.accelerator or 'none'}")
    lines.append(f"device: {result.device} ({result.device_name}); the course's one-liner picks {result.course_device}")
    check = result.check
    if check.ok:
        lines.append(f"matmul on {check.device}: {check.got} equals the CPU result — ok")
    elif check.error:
        lines.append(f"matmul on {check.device} FAILED: {check.error}")
    else:
        lines.append(f"matmul on {check.device} is WRONG: {check.got}, the CPU says {check.expected}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return lesson_main("env", argv)


if __name__ == "__main__":
    raise SystemExit(main())
