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
from pathlib import Path

import torch
import torchvision

from ..device import Backend, DeviceCheck, backends, check_device, describe_device, pick_device, usable_accelerator
from ._shared import course_device
from .runner import lesson_main


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


def run(*, out: Path, data_dir: Path | None = None, device: str = "auto") -> Result:
    chosen = pick_device(device)
    return Result(
        python_version=platform.python_version(),
        torch_version=torch.__version__,
        torchvision_version=torchvision.__version__,
        cuda_version=torch.version.cuda,
        backends=backends(),
        accelerator_api=hasattr(torch, "accelerator"),
        accelerator=usable_accelerator(),
        course_device=str(course_device()),
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
